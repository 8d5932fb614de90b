// Quantisation error of a tensor: how far the quantised values q are from the
// original values x. Accumulated in double over one or more chunks, so a tool
// can stream a tensor through it.
//
// Definitions (sums over elements where both x and q are finite):
//   rel_mse      = sum (q - x)^2 / sum x^2          (0 when both sums are 0, +inf when only sum x^2 is)
//   sqnr_db      = 10 log10(sum x^2 / sum (q - x)^2) = -10 log10(rel_mse)   (+inf when exact)
//   cosine       = sum x q / sqrt(sum x^2 * sum q^2)  (1 when both are all zero, 0 when only one is)
//   max_abs_err  = max |q - x|
//   zero_share   = (elements with x != 0 and q == 0) / elements   ("zeros produced": flushed to zero)
//   nonfinite    = elements where q is NaN or +-Inf
#pragma once

#include <cstdint>
#include <span>

namespace hifloat {

struct ErrorMetrics {
  uint64_t elements = 0;
  double rel_mse = 0;
  double sqnr_db = 0;
  double cosine = 1;
  double max_abs_err = 0;
  double zero_share = 0;
  uint64_t nonfinite = 0;
};

class ErrorAccumulator {
 public:
  // x and q must have the same length; chunks of one tensor may come in any order.
  void add(std::span<const float> x, std::span<const float> q);
  ErrorMetrics result() const;

 private:
  uint64_t elements_ = 0;
  double sum_xx_ = 0;  // sum x^2
  double sum_qq_ = 0;  // sum q^2
  double sum_xq_ = 0;  // sum x q
  double sum_ee_ = 0;  // sum (q - x)^2
  double max_abs_ = 0;
  uint64_t flushed_ = 0;
  uint64_t nonfinite_ = 0;
};

// Convenience: the metrics of one whole tensor.
ErrorMetrics error_metrics(std::span<const float> x, std::span<const float> q);

}  // namespace hifloat

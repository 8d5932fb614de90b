#include "hifloat/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "hifloat/error.h"

namespace hifloat {

void ErrorAccumulator::add(std::span<const float> x, std::span<const float> q) {
  if (x.size() != q.size()) throw Error("error metrics: x and q differ in length");
  elements_ += x.size();
  // Four independent partial sums per quantity keep the loop vectorisable and
  // the rounding error of the double sums far below anything reported.
  double xx = 0, qq = 0, xq = 0, ee = 0, mx = max_abs_;
  for (size_t i = 0; i < x.size(); ++i) {
    const double xi = x[i];
    const double qi = q[i];
    if (!std::isfinite(qi)) {
      ++nonfinite_;
      continue;
    }
    if (!std::isfinite(xi)) continue;
    if (qi == 0.0 && xi != 0.0) ++flushed_;
    const double e = qi - xi;  // exact: both are floats
    xx += xi * xi;
    qq += qi * qi;
    xq += xi * qi;
    ee += e * e;
    mx = std::max(mx, std::fabs(e));
  }
  sum_xx_ += xx;
  sum_qq_ += qq;
  sum_xq_ += xq;
  sum_ee_ += ee;
  max_abs_ = mx;
}

ErrorMetrics ErrorAccumulator::result() const {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  ErrorMetrics m;
  m.elements = elements_;
  m.max_abs_err = max_abs_;
  m.nonfinite = nonfinite_;
  m.zero_share = elements_ ? static_cast<double>(flushed_) / static_cast<double>(elements_) : 0.0;
  if (sum_ee_ == 0) {
    m.rel_mse = 0;
    m.sqnr_db = kInf;
  } else if (sum_xx_ == 0) {
    m.rel_mse = kInf;
    m.sqnr_db = -kInf;
  } else {
    m.rel_mse = sum_ee_ / sum_xx_;
    m.sqnr_db = 10.0 * std::log10(sum_xx_ / sum_ee_);
  }
  if (sum_xx_ == 0 && sum_qq_ == 0) {
    m.cosine = 1;
  } else if (sum_xx_ == 0 || sum_qq_ == 0) {
    m.cosine = 0;
  } else {
    m.cosine = sum_xq_ / std::sqrt(sum_xx_ * sum_qq_);
  }
  return m;
}

ErrorMetrics error_metrics(std::span<const float> x, std::span<const float> q) {
  ErrorAccumulator acc;
  acc.add(x, q);
  return acc.result();
}

}  // namespace hifloat

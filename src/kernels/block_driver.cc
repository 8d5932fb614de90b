// Tensor drivers of the block-format fast paths (block_kernels.h): the same
// layout as Codec::quantize / dequantize (src/core/codec.cc) — P lines along
// the axis, each zero-padded to U = ceil(L / B) blocks, record of block u of
// line o at index o·U + u — split over threads by ranges of those P·U blocks.
#include <algorithm>
#include <string>
#include <vector>

#include "hifloat/error.h"
#include "kernels/block_kernels.h"
#include "kernels/parallel_for.h"
#include "kernels/thread_pool.h"

namespace hifloat::kernels {
namespace {

// Blocks handled per kernel call from a scratch buffer.
constexpr int64_t kChunkBlocks = 64;

struct Layout {
  LineGeometry g;
  int64_t B;
  int64_t units;  // blocks per line
  size_t rec;
  int64_t total() const { return g.lines * units; }
  Layout(const BlockKernel& k, const Shape& shape, int axis)
      : g(shape, axis), B(k.block()), units(g.length == 0 ? 0 : (g.length + B - 1) / B), rec(k.record_bytes()) {}
};

// Calls run(line o, first block j, block count c) for the blocks [b, e) of the
// flat block order, one call per (line, contiguous run).
template <typename F>
void for_runs(const Layout& L, int64_t b, int64_t e, F&& run) {
  while (b < e) {
    const int64_t o = b / L.units, j = b % L.units;
    const int64_t c = std::min(e - b, L.units - j);
    run(o, j, c);
    b += c;
  }
}

// Blocks of line o starting at j that lie wholly inside a contiguous line
// (last axis): they are used in place.
int64_t in_place_blocks(const Layout& L, int64_t j, int64_t c) {
  if (L.g.inner != 1) return 0;
  return std::clamp<int64_t>(L.g.length / L.B - j, 0, c);
}

void gather(const Layout& L, const float* x, int64_t o, int64_t j, int64_t c, float* dst) {
  const int64_t base = L.g.line_base(o);
  for (int64_t k = 0; k < c * L.B; ++k) {
    const int64_t idx = j * L.B + k;
    dst[k] = idx < L.g.length ? x[base + idx * L.g.inner] : 0.0f;
  }
}

void scatter(const Layout& L, const float* src, int64_t o, int64_t j, int64_t c, float* out) {
  const int64_t base = L.g.line_base(o);
  const int64_t end = std::min(c * L.B, L.g.length - j * L.B);
  for (int64_t k = 0; k < end; ++k) out[base + (j * L.B + k) * L.g.inner] = src[k];
}

int64_t grain_blocks(const Layout& L) {
  return std::max<int64_t>(1, static_cast<int64_t>(kMinElementsPerThread) / L.B);
}

void check_size(const BlockKernel& k, const Layout& L, size_t have, const char* what) {
  const size_t need = k.header_bytes() + static_cast<size_t>(L.total()) * L.rec;
  if (have != need) {
    throw Error(std::string(what) + ": packed buffer has " + std::to_string(have) + " bytes, expected " +
                std::to_string(need));
  }
}

}  // namespace

void block_encode(const BlockKernel& k, const float* x, const Shape& shape, int axis, std::span<uint8_t> out,
                  int threads) {
  const Layout L(k, shape, axis);
  check_size(k, L, out.size(), "block encode");
  const size_t n = static_cast<size_t>(num_elements(shape));
  k.encode_header(x, n, out.data(), threads);
  const uint8_t* header = out.data();
  uint8_t* records = out.data() + k.header_bytes();
  parallel_for(L.total(), threads, grain_blocks(L), [&](int64_t b, int64_t e) {
    std::vector<float> scratch(static_cast<size_t>(kChunkBlocks * L.B));
    for_runs(L, b, e, [&](int64_t o, int64_t j, int64_t c) {
      uint8_t* rec = records + static_cast<size_t>(o * L.units + j) * L.rec;
      const int64_t direct = in_place_blocks(L, j, c);
      if (direct > 0) k.encode_blocks(x + L.g.line_base(o) + j * L.B, static_cast<size_t>(direct), header, rec);
      for (int64_t d = direct; d < c; d += kChunkBlocks) {
        const int64_t m = std::min(kChunkBlocks, c - d);
        gather(L, x, o, j + d, m, scratch.data());
        k.encode_blocks(scratch.data(), static_cast<size_t>(m), header, rec + static_cast<size_t>(d) * L.rec);
      }
    });
  });
}

void block_decode(const BlockKernel& k, std::span<const uint8_t> in, const Shape& shape, int axis, float* out,
                  int threads) {
  const Layout L(k, shape, axis);
  check_size(k, L, in.size(), "block decode");
  const uint8_t* header = in.data();
  const uint8_t* records = in.data() + k.header_bytes();
  parallel_for(L.total(), threads, grain_blocks(L), [&](int64_t b, int64_t e) {
    std::vector<float> scratch(static_cast<size_t>(kChunkBlocks * L.B));
    for_runs(L, b, e, [&](int64_t o, int64_t j, int64_t c) {
      const uint8_t* rec = records + static_cast<size_t>(o * L.units + j) * L.rec;
      const int64_t direct = in_place_blocks(L, j, c);
      if (direct > 0) k.decode_blocks(rec, static_cast<size_t>(direct), header, out + L.g.line_base(o) + j * L.B);
      for (int64_t d = direct; d < c; d += kChunkBlocks) {
        const int64_t m = std::min(kChunkBlocks, c - d);
        k.decode_blocks(rec + static_cast<size_t>(d) * L.rec, static_cast<size_t>(m), header, scratch.data());
        scatter(L, scratch.data(), o, j + d, m, out);
      }
    });
  });
}

void block_fake_quant(const BlockKernel& k, const float* x, const Shape& shape, int axis, float* out, int threads) {
  const Layout L(k, shape, axis);
  const size_t n = static_cast<size_t>(num_elements(shape));
  std::vector<uint8_t> header(k.header_bytes());
  k.encode_header(x, n, header.data(), threads);
  parallel_for(L.total(), threads, grain_blocks(L), [&](int64_t b, int64_t e) {
    std::vector<float> scratch(static_cast<size_t>(kChunkBlocks * L.B));
    std::vector<uint8_t> rec(static_cast<size_t>(kChunkBlocks) * L.rec);
    for_runs(L, b, e, [&](int64_t o, int64_t j, int64_t c) {
      const int64_t direct = in_place_blocks(L, j, c);
      for (int64_t d = 0, m = 0; d < c; d += m) {
        m = std::min(kChunkBlocks, (d < direct ? direct : c) - d);
        const size_t mz = static_cast<size_t>(m);
        if (d < direct) {  // in place: x -> records -> out
          const int64_t off = L.g.line_base(o) + (j + d) * L.B;
          k.encode_blocks(x + off, mz, header.data(), rec.data());
          k.decode_blocks(rec.data(), mz, header.data(), out + off);
        } else {
          gather(L, x, o, j + d, m, scratch.data());
          k.encode_blocks(scratch.data(), mz, header.data(), rec.data());
          k.decode_blocks(rec.data(), mz, header.data(), scratch.data());
          scatter(L, scratch.data(), o, j + d, m, out);
        }
      }
    });
  });
}

}  // namespace hifloat::kernels

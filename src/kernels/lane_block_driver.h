// Tensor-level driver of the lane-block kernels (lane_blocks-inl.h; used by
// int8 and int4, int_kernels.cc): splits a tensor into the
// reference's blocks along the chosen axis (hifloat/codec.h: lines along the
// axis, zero-padded tails, records in line order) and hands runs of blocks to
// a format's SIMD kernels on the thread pool. Plain C++ (no SIMD here).
//
// Work is split into contiguous ranges of blocks whose boundaries depend only
// on the shape and the thread count; each block is computed independently, so
// the bytes never depend on the thread count.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "hifloat/codec.h"
#include "kernels/parallel_for.h"

namespace hifloat::kernels {

// What a format's kernels need to know besides the data: passed by value to
// every target's kernels, which build their format policy from it.
struct BlockParams {
  int64_t block = 0;          // elements per block (the line length for int8)
};

// One format's kernels, each already dispatched to the SIMD target chosen now.
struct BlockKernelPtrs {
  void (*encode_contig)(const BlockParams&, const float*, size_t, uint8_t*);
  void (*encode_strided)(const BlockParams&, const float*, int64_t, size_t, int64_t, uint8_t*, size_t);
  void (*fake_quant_contig)(const BlockParams&, const float*, size_t, float*);
  void (*fake_quant_strided)(const BlockParams&, const float*, int64_t, size_t, int64_t, float*);
  void (*decode_contig)(const BlockParams&, const uint8_t*, size_t, float*);
  void (*decode_strided)(const BlockParams&, const uint8_t*, size_t, size_t, int64_t, float*, int64_t);
};

// The tensor as the reference sees it: `outer` x L x `inner`, blocks of B.
struct BlockGrid {
  int64_t outer = 0, length = 0, inner = 1, block = 0, units = 0;
  BlockGrid(const Shape& shape, int axis, int64_t block_size) {
    const LineGeometry g(shape, axis);
    length = g.length;
    inner = g.inner;
    outer = g.inner == 0 ? 0 : g.lines / g.inner;
    block = block_size == 0 ? length : block_size;
    units = (block == 0 || length == 0) ? 0 : (length + block - 1) / block;
  }
  bool empty() const { return units == 0 || outer == 0 || inner == 0; }
};

// Elements per thread range at least; smaller work stays on fewer threads.
inline constexpr int64_t kBlockGrainElements = 32768;

// Runs the kernels over every block of the tensor.
//   contig(first_block_index, x_block_start, nblocks, tail_valid):  nblocks whole
//     contiguous blocks (axis last); tail_valid > 0 marks a single zero-padded tail block.
//   strided(line, u, count, valid): `count` consecutive lines from `line`, block u.
// The callers translate indices into pointers (see for_each_block_run users).
template <class Contig, class Strided>
void for_each_block_run(const BlockGrid& g, int threads, Contig contig, Strided strided) {
  if (g.empty()) return;
  const int64_t B = g.block, L = g.length;
  if (g.inner == 1) {
    const int64_t lines = g.outer;
    if (L % B == 0) {  // the records of consecutive lines are consecutive too: one run
      const int64_t total = lines * g.units;
      parallel_for(total, threads, std::max<int64_t>(1, kBlockGrainElements / B),
                   [&](int64_t b, int64_t e) { contig(b, b * B, e - b, int64_t{0}); });
      return;
    }
    const int64_t full = L / B;
    parallel_for(lines, threads, std::max<int64_t>(1, kBlockGrainElements / L), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        if (full > 0) contig(o * g.units, o * L, full, int64_t{0});
        contig(o * g.units + full, o * L + full * B, int64_t{1}, L - full * B);
      }
    });
    return;
  }
  // Strided: items are (outer index, block u, inner index) with the inner index fastest.
  const int64_t rows = g.outer * g.units;
  const int64_t total = rows * g.inner;
  parallel_for(total, threads, std::max<int64_t>(64, kBlockGrainElements / B), [&](int64_t b, int64_t e) {
    int64_t pos = b;
    while (pos < e) {
      const int64_t row = pos / g.inner, col = pos % g.inner;
      const int64_t cnt = std::min(g.inner - col, e - pos);
      const int64_t o = row / g.units, u = row % g.units;
      strided(o * g.inner + col, u, cnt, std::min(B, L - u * B));
      pos += cnt;
    }
  });
}

// Flat index of element i of block u of line `line` (C order).
inline int64_t block_element_offset(const BlockGrid& g, int64_t line, int64_t u) {
  return (line / g.inner) * g.length * g.inner + line % g.inner + u * g.block * g.inner;
}

// Encode: ec(x, nblocks, rec) for whole contiguous blocks, es(x, inner, count,
// valid, rec, rec_stride) for strided ones. `out` starts at the first record.
template <typename In, class EC, class ES>
void encode_blocks(const BlockGrid& g, size_t rb, const In* x, uint8_t* out, int threads, EC ec, ES es) {
  for_each_block_run(
      g, threads,
      [&](int64_t first, int64_t start, int64_t nblocks, int64_t tail) {
        if (tail == 0) {
          ec(x + start, static_cast<size_t>(nblocks), out + static_cast<size_t>(first) * rb);
          return;
        }
        std::vector<In> tmp(static_cast<size_t>(g.block), In(0.0f));
        std::copy(x + start, x + start + tail, tmp.begin());
        ec(tmp.data(), size_t{1}, out + static_cast<size_t>(first) * rb);
      },
      [&](int64_t line, int64_t u, int64_t count, int64_t valid) {
        es(x + block_element_offset(g, line, u), g.inner, static_cast<size_t>(count), valid,
           out + static_cast<size_t>(line * g.units + u) * rb, static_cast<size_t>(g.units) * rb);
      });
}

// Fake-quant: fc(x, nblocks, y), fs(x, inner, count, valid, y).
template <class FC, class FS>
void fake_quant_blocks(const BlockGrid& g, const float* x, float* y, int threads, FC fc, FS fs) {
  for_each_block_run(
      g, threads,
      [&](int64_t, int64_t start, int64_t nblocks, int64_t tail) {
        if (tail == 0) {
          fc(x + start, static_cast<size_t>(nblocks), y + start);
          return;
        }
        std::vector<float> tin(static_cast<size_t>(g.block), 0.0f), tout(static_cast<size_t>(g.block));
        std::copy(x + start, x + start + tail, tin.begin());
        fc(tin.data(), size_t{1}, tout.data());
        std::copy(tout.begin(), tout.begin() + tail, y + start);
      },
      [&](int64_t line, int64_t u, int64_t count, int64_t valid) {
        const int64_t off = block_element_offset(g, line, u);
        fs(x + off, g.inner, static_cast<size_t>(count), valid, y + off);
      });
}

// Decode: dc(rec, nblocks, y), ds(rec, rec_stride, count, valid, y, inner).
template <class DC, class DS>
void decode_blocks(const BlockGrid& g, size_t rb, const uint8_t* in, float* y, int threads, DC dc, DS ds) {
  for_each_block_run(
      g, threads,
      [&](int64_t first, int64_t start, int64_t nblocks, int64_t tail) {
        const uint8_t* rec = in + static_cast<size_t>(first) * rb;
        if (tail == 0) {
          dc(rec, static_cast<size_t>(nblocks), y + start);
          return;
        }
        std::vector<float> tout(static_cast<size_t>(g.block));
        dc(rec, size_t{1}, tout.data());
        std::copy(tout.begin(), tout.begin() + tail, y + start);
      },
      [&](int64_t line, int64_t u, int64_t count, int64_t valid) {
        ds(in + static_cast<size_t>(line * g.units + u) * rb, static_cast<size_t>(g.units) * rb,
           static_cast<size_t>(count), valid, y + block_element_offset(g, line, u), g.inner);
      });
}

// The three tensor operations over a format's kernels. `rec` / `out` start at
// the first record (after any header); `record_bytes` is for one block.
inline void run_encode(const BlockKernelPtrs& k, const BlockParams& p, const BlockGrid& g, size_t record_bytes,
                       const float* x, uint8_t* out, int threads) {
  encode_blocks(
      g, record_bytes, x, out, threads,
      [&](const float* xs, size_t nb, uint8_t* r) { k.encode_contig(p, xs, nb, r); },
      [&](const float* xs, int64_t inner, size_t cnt, int64_t valid, uint8_t* r, size_t rs) {
        k.encode_strided(p, xs, inner, cnt, valid, r, rs);
      });
}

inline void run_fake_quant(const BlockKernelPtrs& k, const BlockParams& p, const BlockGrid& g, const float* x,
                           float* y, int threads) {
  fake_quant_blocks(
      g, x, y, threads, [&](const float* xs, size_t nb, float* ys) { k.fake_quant_contig(p, xs, nb, ys); },
      [&](const float* xs, int64_t inner, size_t cnt, int64_t valid, float* ys) {
        k.fake_quant_strided(p, xs, inner, cnt, valid, ys);
      });
}

inline void run_decode(const BlockKernelPtrs& k, const BlockParams& p, const BlockGrid& g, size_t record_bytes,
                       const uint8_t* rec, float* y, int threads) {
  decode_blocks(
      g, record_bytes, rec, y, threads, [&](const uint8_t* r, size_t nb, float* ys) { k.decode_contig(p, r, nb, ys); },
      [&](const uint8_t* r, size_t rs, size_t cnt, int64_t valid, float* ys, int64_t inner) {
        k.decode_strided(p, r, rs, cnt, valid, ys, inner);
      });
}

}  // namespace hifloat::kernels

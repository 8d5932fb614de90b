#!/usr/bin/env python3
"""hifloat's block-format kernels against straightforward numpy quantisers and memcpy.

In one run on the same data size (a 4096 x 4096 float32 tensor, 16M elements,
blocks along the last axis):
  * the C++ Google Benchmark binary (bench/bench_blocks.cc, bench_blocks_int.cc)
    for hifloat's quantise / dequantise / fake-quant of every block format it
    benchmarks (the same entry points as hifloat.encode / decode / fake_quant;
    int8/int4 also along axis 0) and a memcpy of the 64 MiB, read back as JSON
    (median of the repetitions);
  * vectorised numpy implementations of HiF4, MXFP4 and NVFP4 quantisation (scales,
    element codes, nibble packing), written below, and numpy's copy, timed here
    (best of N); the numpy HiF4 quantiser is checked byte for byte against
    hifloat.encode when the Python package is installed;
and prints elements/s, GB/s of float32 and the ratios.

  python3 bench/compare_blocks.py [--bench build/hifloat_bench] [--threads 1] [--json out.json]
"""
import argparse
import json
import os
import subprocess
import time

import numpy as np

SIDE = 4096
N = SIDE * SIDE
E2M1_GRID = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0], dtype=np.float32)
E2M1_MIDS = (E2M1_GRID[1:] + E2M1_GRID[:-1]) / 2


def best_time(fn, repeats):
    fn()  # warm up (page faults, caches)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def input_data():
    # Same distribution as bench_blocks.cc: normal values at scales 2^-12..2^12.
    rng = np.random.default_rng(1)
    x = rng.standard_normal(N, dtype=np.float32) * np.exp2(rng.integers(-12, 13, N)).astype(np.float32)
    return x.reshape(SIDE, SIDE)


def e2m1_codes(v):
    """RNE of magnitudes v (<= 6) onto E2M1: the nearest grid point, ties to the even code."""
    lo = np.searchsorted(E2M1_MIDS, v, side="left")
    hi = np.searchsorted(E2M1_MIDS, v, side="right")
    return np.where(lo != hi, lo + (lo & 1), lo).astype(np.uint8)


def pack_nibbles(codes):
    c = codes.reshape(-1, 2)
    return c[:, 0] | (c[:, 1] << 4)


def mxfp4_quantize(x):
    """MXFP4 (BASELINES.md §4, without its NaN-block and log2 subtleties): E8M0 scales + packed codes."""
    xb = x.reshape(-1, 32)
    amax = np.abs(xb).max(axis=1)
    with np.errstate(divide="ignore"):
        e = np.floor(np.log2(amax.astype(np.float32))).astype(np.int32)
    se = np.clip(np.where(amax > 0, e, -126) - 2, -127, 127)
    a = np.abs(xb) * np.exp2(-se).astype(np.float32)[:, None]
    codes = e2m1_codes(np.minimum(a, 6.0)) | (np.signbit(xb).astype(np.uint8) << 3)
    return (se + 127).astype(np.uint8), pack_nibbles(codes)


def e4m3_round(s):
    """RNE onto E4M3 for 2^-6 <= s <= 448 (normals only): 3 fraction bits."""
    e = np.floor(np.log2(s))
    q = np.exp2(e - 3)
    return (np.round(s / q) * q).astype(np.float32)  # np.round is half-to-even


def nvfp4_quantize(x):
    """NVFP4 with a tensor scale (BASELINES.md §2): fp32 g, E4M3 block scales, packed E2M1 codes."""
    g = np.float32(np.abs(x).max()) / np.float32(2688)
    xb = x.reshape(-1, 16)
    bmax = np.abs(xb).max(axis=1)
    s = e4m3_round(np.clip(bmax / np.float32(6) / g, 2.0 ** -6, 448.0).astype(np.float32))
    t = (g * s).astype(np.float32)
    codes = e2m1_codes(np.minimum(np.abs(xb) / t[:, None], 6.0)) | (np.signbit(xb).astype(np.uint8) << 3)
    return g, s, pack_nibbles(codes)


def rn_bf16(v):
    b = v.astype(np.float32).view(np.uint32)
    b = (b + np.uint32(0x7FFF) + ((b >> 16) & 1)) & np.uint32(0xFFFF0000)
    return b.view(np.float32)

HIF4_R = np.array([1.0, 0.80078125, 0.66796875, 0.5703125], dtype=np.float32)
HIF4_F = np.array([0 if k <= 16 else 1 if k <= 47 else 2 if k <= 80 else 3 if k <= 111 else 4 for k in range(128)])

def hif4_quantize(x):
    """HiF4 units (HIF4.md §5, rounding=away, finite inputs, length a multiple of 64): 36-byte records."""
    xb = x.reshape(-1, 64)
    a = np.abs(xb)
    m4 = a.reshape(-1, 16, 4).max(axis=2)
    m8 = m4.reshape(-1, 8, 2).max(axis=2)
    big = m8.max(axis=1)
    t = np.clip(rn_bf16(big * np.float32(0.142578125)), np.float32(2.0 ** -48), np.float32(49152))
    tb = t.view(np.uint32)
    e = (tb >> 23).astype(np.int32) - 127
    f = HIF4_F[(tb >> 16) & 0x7F]
    e += f == 4
    f[f == 4] = 0
    r = np.ldexp(HIF4_R[f], -e).astype(np.float32)
    b8 = (m8 * r[:, None] >= 4).astype(np.uint32)
    b4 = (m4 * r[:, None] >= np.exp2(1 + np.repeat(b8, 2, axis=1)).astype(np.float32)).astype(np.uint32)
    sh = np.repeat(b8, 8, axis=1) + np.repeat(b4, 4, axis=1)
    y = (a * r[:, None]) / np.exp2(sh).astype(np.float32)
    q = np.minimum(np.floor(y * np.float32(4) + np.float32(0.5)), 7).astype(np.uint8)
    codes = q | (np.signbit(xb).astype(np.uint8) << 3)
    payload = (codes[:, 0::2] | (codes[:, 1::2] << 4)).astype(np.uint8)
    meta = (((e + 48) << 2) | f).astype(np.uint32) | (b8 << np.arange(8, 16, dtype=np.uint32)).sum(axis=1, dtype=np.uint32) \
        | (b4 << np.arange(16, 32, dtype=np.uint32)).sum(axis=1, dtype=np.uint32)
    return np.concatenate([meta.astype("<u4")[:, None].view(np.uint8), payload], axis=1)


def check_hif4(x):
    try:
        import hifloat
    except ImportError:
        return "not checked (hifloat Python package not installed)"
    same = hif4_quantize(x).tobytes() == hifloat.encode(x, "hif4").tobytes()
    if not same:
        raise SystemExit("numpy HiF4 quantiser disagrees with hifloat.encode: fix one of them")
    return "byte-identical to hifloat.encode"


def time_numpy(x, repeats):
    rows = []
    t = best_time(lambda: hif4_quantize(x), max(1, repeats // 2))
    rows.append(("numpy HiF4 quantize", N / t, N * 4 / t))
    t = best_time(lambda: mxfp4_quantize(x), repeats)
    rows.append(("numpy MXFP4 quantize", N / t, N * 4 / t))
    t = best_time(lambda: nvfp4_quantize(x), repeats)
    rows.append(("numpy NVFP4 quantize", N / t, N * 4 / t))
    dst = np.empty_like(x)
    t = best_time(lambda: np.copyto(dst, x), repeats)
    rows.append(("numpy copy of 64 MiB float32", N / t, N * 4 / t))
    return rows


def run_cpp(bench, threads, repeats):
    arg = "1" if threads == 1 else "0"
    filt = (f"BM_Blocks_(Quantize|Dequantize|FakeQuant)/[a-z0-9_]+/threads:{arg}/"
            f"|BM_BlocksInt_(Quantize|Dequantize|FakeQuant)/[a-z0-9_]+/axis:[01]/threads:{arg}/|BM_Blocks_Memcpy/threads:{arg}/"
            f"|BM_Hif4_(Quantize/away|Dequantize|FakeQuant/away)/threads:{1 if threads == 1 else 2}/axis:1")
    cmd = [bench, f"--benchmark_filter={filt}", "--benchmark_format=json",
           f"--benchmark_repetitions={repeats}", "--benchmark_report_aggregates_only=true"]
    res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    rows = []
    for b in res["benchmarks"]:
        # One repetition reports no aggregates; then the single run is the row.
        if b.get("aggregate_name", "median" if repeats == 1 else None) != "median":
            continue
        name = b["run_name"].replace("BM_BlocksInt_", "hifloat ").replace("BM_Blocks_", "hifloat ").replace("BM_Hif4_", "hifloat hif4 ")
        name = name.replace("/real_time", "").replace("/process_time", "")
        rows.append((name, b["items_per_second"], b["bytes_per_second"]))
    return rows, res["context"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--bench", default=os.path.join(here, "..", "build", "hifloat_bench"))
    ap.add_argument("--threads", type=int, default=1, help="1, or 0 for all cores (hifloat only; numpy is single-threaded)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", help="also write the rows here")
    args = ap.parse_args()

    cpp_rows, ctx = run_cpp(args.bench, args.threads, args.repeats)
    x = input_data()
    hif4_check = check_hif4(x)
    py_rows = time_numpy(x, args.repeats)
    rows = cpp_rows + py_rows

    print(f"# {ctx.get('host_name', '?')}: {ctx.get('num_cpus')} CPUs @ {ctx.get('mhz_per_cpu')} MHz, "
          f"load avg {ctx.get('load_avg')}, {N} elements, hifloat threads={'all' if args.threads == 0 else 1}")
    print(f"{'what':60s} {'G elem/s':>9s} {'GB/s f32':>9s}")
    for name, items, nbytes in rows:
        print(f"{name:60s} {items / 1e9:9.3f} {nbytes / 1e9:9.2f}")

    def rate(prefix):
        for name, items, nbytes in rows:
            if name.startswith(prefix):
                return items, nbytes
        return None, None

    _, memcpy_b = rate("hifloat Memcpy")
    print(f"\nnumpy HiF4 quantiser: {hif4_check}")
    print("ratios (blocks along the last axis)")
    for fmt, np_name, ours in (("hif4", "numpy HiF4 quantize", "hifloat hif4 Quantize/away/"),
                               ("mxfp4", "numpy MXFP4 quantize", "hifloat Quantize/mxfp4/"),
                               ("nvfp4", "numpy NVFP4 quantize", "hifloat Quantize/nvfp4/")):
        hf, hf_b = rate(ours)
        npy, _ = rate(np_name)
        if hf and npy:
            print(f"  hifloat {fmt} quantize / {np_name}: {hf / npy:6.1f}x")
        if hf and memcpy_b:  # float32 input bytes (bench_hif4 counts output bytes too)
            print(f"  hifloat {fmt} quantize GB/s / memcpy GB/s (same 64 MiB of float32): {hf * 4 / memcpy_b:5.2f}")
    hf, hf_b = rate("hifloat Quantize/mxfp8_e4m3/")
    if hf_b and memcpy_b:
        print(f"  hifloat mxfp8_e4m3 quantize GB/s / memcpy GB/s: {hf_b / memcpy_b:5.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"context": ctx, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""hifloat's elementwise conversions against ml_dtypes' numpy casts and memcpy.

Runs, in the same process session on the same data size (16M float32):
  * the C++ Google Benchmark binary (bench/bench_elementwise.cc) for hifloat's
    HiF8 (and FP8, when built) encode/decode and a memcpy baseline, read back as JSON;
  * numpy `astype` casts through ml_dtypes (float8_e4m3fn, float8_e5m2,
    float4_e2m1fn) and numpy's own copy, timed here (best of N).
and prints elements/s, bytes/s and ratios.

  python3 bench/compare_elementwise.py [--bench build/hifloat_bench] [--threads 1] [--json out.json]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

try:
    import ml_dtypes
except ImportError:  # pragma: no cover
    sys.exit("ml_dtypes is required: pip install ml_dtypes")

N = 1 << 24


def best_time(fn, repeats):
    fn()  # warm up (page faults, caches)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def input_data():
    # Same distribution as bench_elementwise.cc: normal values at scales 2^-12..2^12.
    rng = np.random.default_rng(1)
    return (rng.standard_normal(N, dtype=np.float32) * np.exp2(rng.integers(-12, 13, N)).astype(np.float32))


def time_ml_dtypes(x, repeats):
    rows = []
    for name in ("float8_e4m3fn", "float8_e5m2", "float4_e2m1fn"):
        dt = getattr(ml_dtypes, name, None)
        if dt is None:
            continue
        out = np.empty(N, dtype=dt)  # preallocated: time the cast, not the allocation
        t = best_time(lambda: np.copyto(out, x, casting="unsafe"), repeats)
        rows.append((f"ml_dtypes encode f32->{name}", N / t, N * 5 / t))
        back = np.empty(N, dtype=np.float32)
        t = best_time(lambda: np.copyto(back, out, casting="unsafe"), repeats)
        rows.append((f"ml_dtypes decode {name}->f32", N / t, N * 5 / t))
    dst = np.empty_like(x)
    t = best_time(lambda: np.copyto(dst, x), repeats)
    rows.append(("numpy copy of 16M float32", N / t, N * 8 / t))
    return rows


def run_cpp(bench, threads, repeats):
    arg = "1" if threads == 1 else "0"
    filt = (f"BM_Elementwise_(Hif8Encode/f32_away|Hif8Encode/f32_even|Hif8Encode/f32_stochastic|Hif8Decode<float>|"
            f"Hif8FakeQuant|Fp8Encode/e4m3|Fp8Encode/e5m2|Fp8Decode)/threads:{arg}/|BM_Elementwise_Memcpy")
    cmd = [bench, f"--benchmark_filter={filt}", "--benchmark_format=json",
           f"--benchmark_repetitions={repeats}", "--benchmark_report_aggregates_only=true"]
    res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    rows = []
    for b in res["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        name = b["run_name"].replace("BM_Elementwise_", "hifloat ").replace("/real_time", "")
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
    py_rows = time_ml_dtypes(x, args.repeats)
    rows = cpp_rows + py_rows

    print(f"# {ctx.get('host_name', '?')}: {ctx.get('num_cpus')} CPUs @ {ctx.get('mhz_per_cpu')} MHz, "
          f"load avg {ctx.get('load_avg')}, {N} elements, hifloat threads={'all' if args.threads == 0 else 1}")
    print(f"{'what':60s} {'G elem/s':>9s} {'GB/s':>7s}")
    for name, items, nbytes in rows:
        print(f"{name:60s} {items / 1e9:9.3f} {nbytes / 1e9:7.2f}")

    def rate(prefix):
        for name, items, nbytes in rows:
            if name.startswith(prefix):
                return items, nbytes
        return None, None

    enc, enc_b = rate("hifloat Hif8Encode/f32_away")
    dec, dec_b = rate("hifloat Hif8Decode<float>")
    _, memcpy_b = rate("hifloat Memcpy/bytes_per_element:4")
    print("\nratios")
    for name, items, _ in py_rows:
        if "encode" in name and enc:
            print(f"  hifloat HiF8 encode / {name}: {enc / items:6.1f}x")
        if "decode" in name and dec:
            print(f"  hifloat HiF8 decode / {name}: {dec / items:6.1f}x")
    if memcpy_b:
        if enc_b:
            print(f"  hifloat HiF8 encode bytes/s / memcpy bytes/s: {enc_b / memcpy_b:6.2f}")
        if dec_b:
            print(f"  hifloat HiF8 decode bytes/s / memcpy bytes/s: {dec_b / memcpy_b:6.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"context": ctx, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()

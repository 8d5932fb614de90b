#!/usr/bin/env python3
"""The issue #4 fast-path table: every main kernel, 1 and 2 threads, in one run.

Runs the Google Benchmark binary once over the kernels below (16M float32
elements = 64 MiB, a 4096 x 4096 tensor, blocks along the last axis), with
--benchmark_repetitions (default 3), and prints one markdown table:

  kernel | 1 thread: G el/s, GB/s moved, % of memcpy, CPU ms |
           2 threads: the same | 2-thread / 1-thread wall speed-up | 1-thread CPU-time rate

- G el/s and GB/s are wall-clock medians over the repetitions.
- "GB/s moved" counts bytes read + bytes written once each (unique bytes: the
  second read of NVFP4's tensor-amax pass is not counted).
- "% memcpy" is that rate over memcpy's rate at the same thread count
  (BM_Blocks_Memcpy: 64 MiB read + 64 MiB written).
- "CPU ms" is the median process CPU time (all threads) per call: with 2
  threads about equal to 1 thread's when splitting the work costs nothing.
  "CPU-time G el/s, 1 thr" = elements / that CPU time: what one thread does
  per second it actually runs. On a loaded machine wall rates drop and this
  one does not (much); it cannot show 2-thread memory-bandwidth limits, since
  under load the two threads rarely run at the same time.
- "2 thr" uses the benchmarks' all-cores argument (threads:0) where the
  benchmark has no explicit 2; the script checks that the machine has 2 CPUs.
`uptime` is printed before and after the run.

  python3 bench/issue4_table.py [--bench build/hifloat_bench] [--repetitions 3] [--json out.json]
"""
import argparse
import json
import os
import re
import subprocess

N = 1 << 24

# (row label, benchmark name with {t} for the thread argument, thread
# arguments for 1 and 2 threads, bytes moved per element, reason if < 50 %).
ROWS = [
    ("memcpy (glibc, 64 MiB → 64 MiB)", "BM_Blocks_Memcpy/threads:{t}", ("1", "0"), 8.0),
    ("read only: NVFP4 tensor amax pass", "BM_Blocks_Nvfp4TensorAmax/threads:{t}", ("1", "0"), 4.0),
    ("HiF8 encode f32 → code (away)", "BM_Elementwise_Hif8Encode/f32_away/threads:{t}", ("1", "0"), 5.0),
    ("HiF8 decode code → f32", "BM_Elementwise_Hif8Decode<float>/threads:{t}", ("1", "0"), 5.0),
    ("HiF8 fake-quant f32 → f32", "BM_Elementwise_Hif8FakeQuant/threads:{t}", ("1", "0"), 8.0),
    ("HiF8 encode f16 → code (away)", "BM_Elementwise_Hif8Encode/f16_away/threads:{t}", ("1", "0"), 3.0),
    ("HiF8 encode bf16 → code (away)", "BM_Elementwise_Hif8Encode/bf16_away/threads:{t}", ("1", "0"), 3.0),
    ("FP8 E4M3 encode f32 → code", "BM_Elementwise_Fp8Encode/e4m3/threads:{t}", ("1", "0"), 5.0),
    ("FP8 E5M2 encode f32 → code", "BM_Elementwise_Fp8Encode/e5m2/threads:{t}", ("1", "0"), 5.0),
    ("FP8 E4M3 decode code → f32", "BM_Elementwise_Fp8Decode/threads:{t}", ("1", "0"), 5.0),
    ("HiF4 quantize f32 → packed (away)", "BM_Hif4_Quantize/away/threads:{t}/axis:1", ("1", "2"), 4 + 36 / 64),
    ("HiF4 dequantize packed → f32", "BM_Hif4_Dequantize/threads:{t}/axis:1", ("1", "2"), 4 + 36 / 64),
    ("HiF4 fake-quant f32 → f32", "BM_Hif4_FakeQuant/away/threads:{t}/axis:1", ("1", "2"), 8.0),
    ("HiF4 quantize, blocks along axis 0", "BM_Hif4_Quantize/away/threads:{t}/axis:0", ("1", "2"), 4 + 36 / 64),
    ("HiF4 dequantize, blocks along axis 0", "BM_Hif4_Dequantize/threads:{t}/axis:0", ("1", "2"), 4 + 36 / 64),
    ("HiF4 quantize, rounding=stochastic", "BM_Hif4_Quantize/stochastic/threads:{t}/axis:1", ("1", "2"), 4 + 36 / 64),
    ("MXFP4 quantize", "BM_Blocks_Quantize/mxfp4/threads:{t}", ("1", "0"), 4 + 17 / 32),
    ("MXFP4 dequantize", "BM_Blocks_Dequantize/mxfp4/threads:{t}", ("1", "0"), 4 + 17 / 32),
    ("MXFP4 fake-quant", "BM_Blocks_FakeQuant/mxfp4/threads:{t}", ("1", "0"), 8.0),
    ("MXFP8 E4M3 quantize", "BM_Blocks_Quantize/mxfp8_e4m3/threads:{t}", ("1", "0"), 4 + 33 / 32),
    ("MXFP8 E4M3 dequantize", "BM_Blocks_Dequantize/mxfp8_e4m3/threads:{t}", ("1", "0"), 4 + 33 / 32),
    ("NVFP4 quantize (tensor_scale=on, incl. amax pass)", "BM_Blocks_Quantize/nvfp4/threads:{t}", ("1", "0"), 4 + 9 / 16),
    ("NVFP4 quantize (tensor_scale=off)", "BM_Blocks_Quantize/nvfp4_off/threads:{t}", ("1", "0"), 4 + 9 / 16),
    ("NVFP4 dequantize", "BM_Blocks_Dequantize/nvfp4/threads:{t}", ("1", "0"), 4 + 9 / 16),
    ("NVFP4 fake-quant (incl. amax pass)", "BM_Blocks_FakeQuant/nvfp4/threads:{t}", ("1", "0"), 8.0),
    ("INT8 quantize (per row)", "BM_BlocksInt_Quantize/int8/axis:1/threads:{t}", ("1", "0"), 5.0),
    ("INT8 dequantize", "BM_BlocksInt_Dequantize/int8/axis:1/threads:{t}", ("1", "0"), 5.0),
    ("INT8 fake-quant", "BM_BlocksInt_FakeQuant/int8/axis:1/threads:{t}", ("1", "0"), 8.0),
    ("INT8 quantize, axis 0 (per column)", "BM_BlocksInt_Quantize/int8/axis:0/threads:{t}", ("1", "0"), 5.0),
    ("INT4 quantize (group 32)", "BM_BlocksInt_Quantize/int4_g32/axis:1/threads:{t}", ("1", "0"), 4 + 18 / 32),
    ("INT4 quantize (group 32), axis 0", "BM_BlocksInt_Quantize/int4_g32/axis:0/threads:{t}", ("1", "0"), 4 + 18 / 32),
    ("INT4 dequantize (group 32)", "BM_BlocksInt_Dequantize/int4_g32/axis:1/threads:{t}", ("1", "0"), 4 + 18 / 32),
]


def uptime():
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--bench", default=os.path.join(here, "..", "build", "hifloat_bench"))
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--json", help="also write the raw medians here")
    args = ap.parse_args()

    names = [pattern.format(t=t) for _, pattern, ts, _ in ROWS for t in ts]
    filt = "^(" + "|".join(re.escape(n) for n in names) + ")(/process_time)?(/real_time)?$"
    before = uptime()
    cmd = [args.bench, f"--benchmark_filter={filt}", "--benchmark_format=json",
           f"--benchmark_repetitions={args.repetitions}", "--benchmark_report_aggregates_only=true"]
    res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    after = uptime()

    med = {}
    for b in res["benchmarks"]:
        if b.get("aggregate_name") == "median":
            unit = {"ms": 1e-3, "us": 1e-6, "ns": 1e-9, "s": 1.0}[b.get("time_unit", "ns")]
            name = b["run_name"].replace("/real_time", "").replace("/process_time", "")
            med[name] = (b["real_time"] * unit, b["cpu_time"] * unit)

    ctx = res["context"]
    if ctx.get("num_cpus") != 2:
        print(f"WARNING: {ctx.get('num_cpus')} CPUs: 'threads:0' rows use all of them, not 2")
    print(f"# {ctx.get('host_name', '?')}: {ctx.get('num_cpus')} CPUs @ {ctx.get('mhz_per_cpu')} MHz, "
          f"{N} elements, medians of {args.repetitions} repetitions")
    print(f"# uptime before: {before}\n# uptime after:  {after}\n")

    def stats(name, threads, per_el):
        if name not in med:
            return None
        wall, cpu = med[name]
        return {"el_s": N / wall, "gb_s": N * per_el / wall, "cpu_el_s": N * threads / cpu if cpu > 0 else 0.0,
                "wall_ms": wall * 1e3, "cpu_ms": cpu * 1e3}

    memcpy = [stats(ROWS[0][1].format(t=t), k + 1, 8.0) for k, t in enumerate(ROWS[0][2])]
    print("| kernel (16M elements) | bytes/el | 1 thr G el/s | GB/s | % memcpy | CPU ms "
          "| 2 thr G el/s | GB/s | % memcpy | CPU ms (both threads) | 2 thr / 1 thr wall | CPU-time G el/s, 1 thr |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    out = []
    for label, pattern, ts, per_el in ROWS:
        cells = [label, f"{per_el:.3g}"]
        s = []
        for k, t in enumerate(ts):
            st = stats(pattern.format(t=t), k + 1, per_el)
            s.append(st)
            if st is None:
                cells += ["–"] * 4
                continue
            pct = 100 * st["gb_s"] / memcpy[k]["gb_s"] if memcpy[k] else float("nan")
            cells += [f"{st['el_s'] / 1e9:.2f}", f"{st['gb_s'] / 1e9:.1f}", f"{pct:.0f} %", f"{st['cpu_ms']:.1f}"]
        cells.append(f"{s[1]['el_s'] / s[0]['el_s']:.2f}×" if s[0] and s[1] else "–")
        cells.append(f"{s[0]['cpu_el_s'] / 1e9:.2f}" if s[0] else "–")
        print("| " + " | ".join(cells) + " |")
        out.append({"kernel": label, "bytes_per_element": per_el, "one_thread": s[0], "two_threads": s[1]})

    # The same in CPU time (for a loaded machine): rates from the process CPU
    # time, % of memcpy's CPU-time rate; the 2-thread CPU time over the
    # 1-thread one shows what splitting the work costs.
    print("\nCPU time (process, all threads), same run:\n")
    print("| kernel (16M elements) | 1 thr CPU ms | CPU-time G el/s | GB/s | % memcpy | 2 thr CPU ms (both) | 2 thr / 1 thr CPU |")
    print("|---|---|---|---|---|---|---|")
    m0 = memcpy[0]
    for row in out:
        a, b = row["one_thread"], row["two_threads"]
        if not a:
            continue
        gb = a["cpu_el_s"] * row["bytes_per_element"]
        pct = 100 * gb / (m0["cpu_el_s"] * 8.0) if m0 else float("nan")
        two = f"{b['cpu_ms']:.1f} | {b['cpu_ms'] / a['cpu_ms']:.2f}" if b else "– | –"
        print(f"| {row['kernel']} | {a['cpu_ms']:.1f} | {a['cpu_el_s'] / 1e9:.2f} | {gb / 1e9:.1f} | {pct:.0f} % | {two} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"context": ctx, "uptime_before": before, "uptime_after": after, "rows": out}, f, indent=1)


if __name__ == "__main__":
    main()

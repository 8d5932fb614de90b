#!/usr/bin/env python3
"""Relative squared error of every format on a Gaussian and a heavy-tailed sample.

Prints the markdown table shown in README.md:

    python3 bench/error_table.py

Relative MSE = sum((fake_quant(x) - x)^2) / sum(x^2), blocks along the last axis of a
(1024, 4096) float32 sample drawn with a fixed seed. Heavy-tailed = Student's t with 3 degrees
of freedom (kurtotic, like LLM activations). SQNR (dB) = -10 log10(relative MSE).
"""
import math

import numpy as np

import hifloat

FORMATS = ["hif8", "fp8_e4m3", "fp8_e5m2", "mxfp8_e4m3", "mxint8", "int8", "mxfp6_e2m3", "mxfp6_e3m2",
           "hifx5", "hif4", "nvfp4", "mxfp4", "int4:group=32", "hifx3", "hifx2"]


def samples():
    rng = np.random.default_rng(2026)
    shape = (1024, 4096)
    return {
        "Gaussian": rng.standard_normal(shape).astype(np.float32),
        "Student-t (3 dof)": rng.standard_t(3, shape).astype(np.float32),
    }


def rel_mse(x, y):
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    return float(np.sum((y64 - x64) ** 2) / np.sum(x64 ** 2))


def main():
    data = samples()
    bits = {f.name: f.bits_per_value for f in hifloat.formats()}
    names = list(data)
    print("| format | bits/value | " + " | ".join(f"{n}: rel. MSE (SQNR dB)" for n in names) + " |")
    print("|---|---|" + "---|" * len(names))
    for fmt in FORMATS:
        cells = []
        for n in names:
            e = rel_mse(data[n], hifloat.fake_quant(data[n], fmt, axis=-1))
            cells.append(f"{e:.3e} ({-10 * math.log10(e):.1f})")
        name = fmt.split(":")[0]
        print(f"| `{fmt}` | {bits.get(name, '?')} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

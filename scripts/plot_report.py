#!/usr/bin/env python3
"""Draw the SQNR chart of a `hifloat compare` report.

Usage: plot_report.py REPORT.json OUT.png

One line per format (column of the report), SQNR in dB per tensor, tensors in
checkpoint order; the legend gives each format's size-weighted SQNR and bits
per value. The `hifloat` CLI carries a copy of this script and runs it for
`compare --plot`; it can also be run on its own.
"""
import json
import os
import sys


def main(argv):
    if len(argv) != 3:
        print("usage: plot_report.py REPORT.json OUT.png", file=sys.stderr)
        return 2
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot_report.py: matplotlib is not installed (pip install matplotlib)", file=sys.stderr)
        return 3
    report_path, png_path = argv[1], argv[2]
    with open(report_path, encoding="utf-8") as f:
        report = json.load(f)
    columns = report["columns"]
    tensors = [t for t in report["tensors"] if t["compared"]]
    if not tensors:
        print(f"plot_report.py: {report_path}: no compared tensors to plot", file=sys.stderr)
        return 1
    summary = {s["column"]: s for s in report["summary"]}

    width = min(40.0, max(8.0, 0.16 * len(tensors) + 3.0))
    fig, ax = plt.subplots(figsize=(width, 5.5), dpi=110)
    xs = list(range(len(tensors)))
    exact_y = None
    for column in columns:
        ys = []
        for t in tensors:
            r = t["results"].get(column)
            # null SQNR means an exact (error-free) tensor: drawn at the top edge.
            ys.append(float("nan") if r is None else (r["sqnr_db"] if r["sqnr_db"] is not None else float("inf")))
        finite = [y for y in ys if y == y and y != float("inf")]
        if finite:
            exact_y = max(exact_y or 0.0, max(finite) + 5.0)
        s = summary.get(column, {})
        sqnr = s.get("sqnr_db")
        label = f"{column}  ({s.get('bits_per_value', 0):.2f} b/v, {sqnr:.1f} dB)" if sqnr is not None else column
        if s.get("best"):
            label += "  best"
        ax.plot(xs, ys, marker="o", markersize=3, linewidth=1.2, label=label)
    if exact_y is not None and any(y == float("inf") for line in ax.get_lines() for y in line.get_ydata()):
        # Exact tensors sit on a dotted line above every finite value.
        for line in ax.get_lines():
            line.set_ydata([exact_y if y == float("inf") else y for y in line.get_ydata()])
        ax.axhline(exact_y, color="grey", linestyle=":", linewidth=1)
        ax.annotate("exact (no error)", (0, exact_y), xytext=(2, 3), textcoords="offset points", fontsize=7)
        ax.set_ylim(top=exact_y + 3)
    names = [t["name"] for t in tensors]
    ax.set_xticks(xs)
    ax.set_xticklabels([n if len(n) <= 48 else "..." + n[-45:] for n in names], rotation=90, fontsize=6)
    ax.set_xlim(-0.5, len(tensors) - 0.5)
    ax.set_ylabel("SQNR (dB), higher is better")
    files = ", ".join(os.path.basename(p) for p in report["files"])
    ax.set_title(f"Quantization SQNR per tensor: {files} (axis {report['axis']})")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.005, 1.0), borderaxespad=0)
    fig.tight_layout()
    tmp = png_path + ".tmp.png"
    fig.savefig(tmp)
    os.replace(tmp, png_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

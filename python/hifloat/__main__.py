"""``python -m hifloat``: the hifloat command line in Python.

Subcommands mirror the C++ tool: ``formats``, ``table hif8``,
``fake-quant FORMAT IN.npy OUT.npy [--axis N]``,
``encode FORMAT IN.npy OUT.{safetensors,npy} [--axis N]``,
``decode IN.safetensors OUT.npy [--tensor NAME]`` and ``decode hif8 IN.npy OUT.npy``.
Errors print one line and exit with status 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence

import numpy as np

from . import _api, _formats, _safetensors
from ._hifloat import hifloat8


def _read_float_npy(path: str) -> np.ndarray:
    arr = np.load(path, allow_pickle=False)
    if arr.dtype not in (np.float16, np.float32, np.float64):
        raise ValueError(f"{path}: dtype {arr.dtype} is not a floating input (expected float32, float64 or float16)")
    return arr


def _save_npy(path: str, arr: np.ndarray) -> None:
    """Writes atomically (a temporary file renamed into place): no partial output on error."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, suffix=".npy.tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, arr, allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _cmd_formats(_: argparse.Namespace) -> None:
    print(f"{'name':<12} {'bits/value':<11} {'codec':<6} options")
    for f in _formats.formats():
        opts = ", ".join(f"{o.key}={'|'.join(o.values) if o.values else '<' + o.default + '>'}" for o in f.options)
        print(f"{f.name:<12} {f.bits_per_value:<11} {'yes' if f.implemented else 'no':<6} {opts or '-'}")


def _cmd_table(args: argparse.Namespace) -> None:
    if _formats.parse_format(args.format).name != "hif8" or args.format != "hif8":
        raise ValueError(f"table: format '{args.format}' has no code table here; use hif8")
    print(f"{'code':<5} value")
    for c in range(256):
        print(f"0x{c:02X}  {float(hifloat8.from_bits(c))!r}")


def _cmd_fake_quant(args: argparse.Namespace) -> None:
    x = _read_float_npy(args.input)
    _save_npy(args.output, _api.fake_quant(x, args.format, args.axis).astype(np.float32))


def _cmd_encode(args: argparse.Namespace) -> None:
    x = _read_float_npy(args.input)
    if args.output.endswith(".safetensors"):
        _safetensors.save(args.output, {"x": _api.encode(x, args.format, args.axis)})
    elif args.output.endswith(".npy"):
        if _formats.parse_format(args.format).name != "hif8":
            raise ValueError(f"encode to .npy supports hif8 codes only, not '{args.format}' (use OUT.safetensors)")
        _save_npy(args.output, _api.encode(x, args.format, args.axis).data.reshape(x.shape))
    else:
        raise ValueError(f"{args.output}: output must be a .safetensors or .npy file")


def _cmd_decode(args: argparse.Namespace) -> None:
    p = args.paths
    if len(p) == 3:
        fmt, src, dst = p
        if _formats.parse_format(fmt).name != "hif8":
            raise ValueError(f"decode from .npy supports hif8 codes only, not '{fmt}'")
        codes = np.load(src, allow_pickle=False)
        if codes.dtype != np.uint8:
            raise ValueError(f"{src}: expected uint8 hif8 codes, got dtype {codes.dtype}")
        _save_npy(dst, codes.view(hifloat8).astype(np.float32))
        return
    if len(p) != 2:
        raise ValueError("decode takes IN.safetensors OUT.npy, or FORMAT IN.npy OUT.npy")
    src, dst = p
    tensors = _safetensors.load(src)
    packed = {k: v for k, v in tensors.items() if isinstance(v, _api.Packed)}
    if args.tensor is not None:
        if args.tensor not in packed:
            raise ValueError(f"{src}: no packed tensor named '{args.tensor}' (has: {sorted(packed)})")
        name = args.tensor
    elif len(packed) == 1:
        name = next(iter(packed))
    else:
        raise ValueError(f"{src}: holds {len(packed)} packed tensors {sorted(packed)}; choose one with --tensor")
    _save_npy(dst, _api.decode(packed[name]))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m hifloat", description="HiFloat8/HiFloat4 and baseline formats")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("formats", help="List the formats, their options and bits per value").set_defaults(fn=_cmd_formats)
    t = sub.add_parser("table", help="Print every code of hif8 with its value")
    t.add_argument("format")
    t.set_defaults(fn=_cmd_table)
    fq = sub.add_parser("fake-quant", help="Quantise then dequantise a .npy array, writing float32")
    e = sub.add_parser("encode", help="Encode a .npy array into OUT.safetensors (packed tensor 'x') or OUT.npy (hif8)")
    for sp, fn in ((fq, _cmd_fake_quant), (e, _cmd_encode)):
        sp.add_argument("format", help="format string name[:key=value,...], e.g. hif4 or hif8:rounding=even")
        sp.add_argument("input", help="input .npy (float16, float32 or float64)")
        sp.add_argument("output")
        sp.add_argument("--axis", type=int, default=-1, help="axis along which blocks are formed (default -1)")
        sp.set_defaults(fn=fn)
    d = sub.add_parser("decode", help="decode IN.safetensors OUT.npy, or decode hif8 IN.npy OUT.npy")
    d.add_argument("paths", nargs="+", metavar="[FORMAT] IN OUT")
    d.add_argument("--tensor", help="packed tensor to decode (default: the file's only one)")
    d.set_defaults(fn=_cmd_decode)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        args.fn(args)
    except (ValueError, TypeError, OSError) as e:
        print(f"hifloat: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

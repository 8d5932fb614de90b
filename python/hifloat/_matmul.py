"""Matrix products on packed operands (docs/matmul.md)."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from . import _hifloat
from ._api import _BFLOAT16, Packed, _check_threads

_ACCUMULATIONS = ("exact", "fp32", "fp32_trunc")


def matmul(a: Any, b: Packed, accumulate: str = "fp32", linear: bool = False, threads: int = 1) -> np.ndarray:
    """The product of ``a`` and the packed ``b`` as float32, by the rules of docs/matmul.md.

    ``b`` is a :class:`Packed` of shape (K, N) blocked along axis 0, or with
    ``linear=True`` a weight W of shape (N, K) blocked along axis 1 (then the
    result is ``a @ W.T``). ``a`` is a dense float32 or bfloat16 array of shape
    (..., K) (float16 is widened exactly), or a :class:`Packed` of the same
    format as ``b`` with shape (M, K) or (K,) blocked along its last axis.
    The result has shape (..., N). ``accumulate`` is ``"exact"`` (the exact
    sum rounded once to fp32), ``"fp32"`` (16 FMA lanes and a fixed tree) or
    ``"fp32_trunc"`` (truncation once per block). ``threads=0`` uses every
    core; results never depend on it. The GIL is released while it runs.

    >>> import numpy as np, hifloat
    >>> w = hifloat.encode(np.ones((2, 64), np.float32), "hif8", axis=1)
    >>> hifloat.matmul(np.ones((1, 64), np.float32), w, accumulate="exact", linear=True)
    array([[64., 64.]], dtype=float32)
    """
    if not isinstance(b, Packed):
        raise TypeError(f"matmul: b must be a hifloat.Packed (packed weights), got {type(b).__name__}")
    if accumulate not in _ACCUMULATIONS:
        raise ValueError(f"unknown accumulation {accumulate!r} (expected exact, fp32 or fp32_trunc)")
    linear = bool(linear)
    threads = _check_threads(threads)
    b_data = np.ascontiguousarray(b.data, dtype=np.uint8)
    if isinstance(a, Packed):
        if len(a.shape) not in (1, 2):
            raise ValueError(f"matmul: a packed a must be 1-d or 2-d, got shape {a.shape}")
        out = _hifloat.matmul_packed(
            np.ascontiguousarray(a.data, dtype=np.uint8), a.format, list(a.shape), a.axis,
            b_data, b.format, list(b.shape), b.axis, accumulate, linear, threads,
        )
        return out if len(a.shape) == 2 else out.reshape(-1)
    arr = np.asarray(a)
    if arr.ndim == 0:
        raise ValueError("matmul: a must have at least one dimension (..., K)")
    dt = arr.dtype.newbyteorder("=")
    if dt == np.float16:
        arr, kind = arr.astype(np.float32), "float32"  # exact widening
    elif dt == np.float32:
        kind = "float32"
    elif _BFLOAT16 is not None and dt == _BFLOAT16:
        kind = "bfloat16"
    else:
        raise TypeError(
            f"matmul: dense a must be float32, bfloat16 or float16, got {arr.dtype}"
            " (convert explicitly, e.g. a.astype(np.float32))"
        )
    lead, k = arr.shape[:-1], operator.index(arr.shape[-1])
    m = int(np.prod(lead, dtype=np.int64))
    buf = np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder("="), copy=False)).reshape(m, k)
    if kind == "bfloat16":
        buf = buf.view(np.uint16)
    out = _hifloat.matmul_dense(buf, kind, m, k, b_data, b.format, list(b.shape), b.axis, accumulate, linear, threads)
    return out.reshape(*lead, out.shape[1])

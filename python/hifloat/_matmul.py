"""Matrix products on packed operands (docs/matmul.md)."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from . import _hifloat
from ._api import _BFLOAT16, Packed, _check_threads
from ._formats import parse_format

_ACCUMULATIONS = ("exact", "fp32", "fp32_trunc")
_ACTIVATIONS = ("float", "int8")
_Q8_BLOCK = 64


def _dense_activations(a: Any, who: str) -> tuple[np.ndarray, str]:
    """``a`` as a native-endian contiguous float32 or bfloat16 array and its kind (float16 widened exactly)."""
    arr = np.asarray(a)
    if arr.ndim == 0:
        raise ValueError(f"{who}: a must have at least one dimension (..., K)")
    dt = arr.dtype.newbyteorder("=")
    if dt == np.float16:
        return arr.astype(np.float32), "float32"  # exact widening
    if dt == np.float32:
        kind = "float32"
    elif _BFLOAT16 is not None and dt == _BFLOAT16:
        kind = "bfloat16"
    else:
        raise TypeError(
            f"{who}: dense a must be float32, bfloat16 or float16, got {arr.dtype}"
            " (convert explicitly, e.g. a.astype(np.float32))"
        )
    return np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder("="), copy=False)), kind


def _check_activations_kind(activations: Any, who: str) -> None:
    """``activations`` picks the kernel ("float" or "int8"); a format string here is a likely mix-up with the
    fake-quant option ``activation``, so the error says so."""
    if activations in _ACTIVATIONS:
        return
    hint = ""
    if isinstance(activations, str):
        try:
            parse_format(activations)
            hint = (f"; {activations!r} is a format: to fake-quantise the inputs to it, pass activation="
                    f"{activations!r} (singular)")
        except ValueError:
            pass
    raise ValueError(f"{who}: unknown activations {activations!r} (expected 'float' or 'int8'{hint})")


def _check_int8_weights(weight_format: str, accumulate: str, who: str) -> None:
    """The int8-activation product (docs/matmul.md §7) exists for hif4 weights and fp32 accumulation only."""
    if parse_format(weight_format).name != "hif4":
        raise ValueError(
            f"{who}: activations='int8' needs hif4 weights, got format {weight_format!r} "
            "(the int8-activation kernel is defined for HiF4 only; use activations='float')"
        )
    if accumulate != "fp32":
        raise ValueError(
            f"{who}: activations='int8' supports accumulate='fp32' only, got accumulate={accumulate!r} "
            "(its one fp32 rule is docs/matmul.md §7)"
        )


def _check_int8_activations(a: Any, b: Packed, accumulate: str) -> None:
    """The int8-activation product (docs/matmul.md §7) exists for dense a, hif4 weights and fp32 only."""
    if isinstance(a, Packed):
        raise ValueError(
            "matmul: activations='int8' quantises dense activations; a is a packed "
            f"{a.format!r} tensor (pass the float activations, or use activations='float')"
        )
    _check_int8_weights(b.format, accumulate, "matmul")


def matmul(
    a: Any, b: Packed, accumulate: str = "fp32", linear: bool = False, threads: int = 1, activations: str = "float"
) -> np.ndarray:
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

    ``activations="int8"`` runs the HiF4-weight × int8-activation kernel of
    docs/matmul.md §7 instead: each row of the dense ``a`` is first quantised
    to int8 per 64 values (see :func:`quantize_activations_q8`), and that
    quantisation is part of the result. It needs ``hif4`` weights and
    ``accumulate="fp32"`` (anything else raises ``ValueError``). The default
    ``"float"`` uses the activations as they are.

    >>> import numpy as np, hifloat
    >>> w = hifloat.encode(np.ones((2, 64), np.float32), "hif8", axis=1)
    >>> hifloat.matmul(np.ones((1, 64), np.float32), w, accumulate="exact", linear=True)
    array([[64., 64.]], dtype=float32)
    """
    if not isinstance(b, Packed):
        raise TypeError(f"matmul: b must be a hifloat.Packed (packed weights), got {type(b).__name__}")
    if accumulate not in _ACCUMULATIONS:
        raise ValueError(f"unknown accumulation {accumulate!r} (expected exact, fp32 or fp32_trunc)")
    _check_activations_kind(activations, "matmul")
    if activations == "int8":
        _check_int8_activations(a, b, accumulate)
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
    arr, kind = _dense_activations(a, "matmul")
    lead, k = arr.shape[:-1], operator.index(arr.shape[-1])
    m = int(np.prod(lead, dtype=np.int64))
    buf = arr.reshape(m, k)
    if kind == "bfloat16":
        buf = buf.view(np.uint16)
    out = _hifloat.matmul_dense(
        buf, kind, m, k, b_data, b.format, list(b.shape), b.axis, accumulate, linear, threads, activations
    )
    return out.reshape(*lead, out.shape[1])


def quantize_activations_q8(a: Any) -> tuple[np.ndarray, np.ndarray]:
    """The int8 activation quantisation of docs/matmul.md §7, as ``activations="int8"`` applies it.

    ``a`` is a dense float32, bfloat16 or float16 array of shape (..., K)
    (bf16 / fp16 widened exactly). Each row is split into blocks of 64 values
    (the last one zero padded); per block ``d = fp32(amax / 127)`` and
    ``q = clamp(rne(fp32(a / d)), -127, 127)``; a block holding NaN or ±Inf
    gets ``d = NaN`` and ``q = 0``, and ``d = 0`` gives ``q = 0``. Returns
    ``(q, d)``: ``q`` int8 of shape (..., K) and ``d`` float32 of shape
    (..., ceil(K / 64)), so the dequantised activations are
    ``q * np.repeat(d, 64, axis=-1)[..., :K]``.

    >>> import numpy as np, hifloat
    >>> q, d = hifloat.quantize_activations_q8(np.array([127, 2.5, -0.5, 1.5, 3.25], np.float32))
    >>> q.tolist(), d.tolist()                     # d = 127/127; 2.5 and -0.5 are ties (to even)
    ([127, 2, 0, 2, 3], [1.0])
    """
    arr, kind = _dense_activations(a, "quantize_activations_q8")
    if kind == "bfloat16":
        arr = arr.astype(np.float32)  # exact widening
    lead, k = arr.shape[:-1], operator.index(arr.shape[-1])
    m = int(np.prod(lead, dtype=np.int64))
    q, d = _hifloat.quantize_activations_q8(arr.reshape(m, k), m, k)
    units = -(-k // _Q8_BLOCK)
    return q[:, :k].reshape(*lead, k), d.reshape(*lead, units)

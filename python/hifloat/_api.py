"""Tensor API: fake_quant, encode, decode and the Packed container.

Mirrors ``hifloat::fake_quant / encode / decode`` (include/hifloat/codec.h) for
numpy arrays of float16, float32, float64 and ml_dtypes.bfloat16, any shape,
blocks formed along ``axis``. Contiguous inputs are read in place (no copy);
the GIL is released while the library runs.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from . import _hifloat
from ._formats import parse_format

__all__ = ["Packed", "fake_quant", "encode", "decode"]

try:  # optional: bfloat16 arrays come from ml_dtypes
    import ml_dtypes as _ml_dtypes

    _BFLOAT16: np.dtype | None = np.dtype(_ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover - depends on the environment
    _BFLOAT16 = None

_KINDS = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64", np.dtype(np.float16): "float16"}
if _BFLOAT16 is not None:
    _KINDS[_BFLOAT16] = "bfloat16"

# Safetensors dtype names of the source types (docs/formats.md).
_ST_NAMES = {"float32": "F32", "float64": "F64", "float16": "F16", "bfloat16": "BF16"}


def _supported() -> str:
    return "float16, float32, float64" + (" or bfloat16" if _BFLOAT16 is not None else "")


def _kind_of(dtype: np.dtype) -> str:
    kind = _KINDS.get(np.dtype(dtype).newbyteorder("="))
    if kind is None:
        raise TypeError(f"expected a floating-point array ({_supported()}), got dtype {dtype}")
    return kind


def _prepare(x: Any) -> tuple[np.ndarray, str, np.ndarray]:
    """(the array, its kind, a C-contiguous native-endian buffer of it; uint16 bits for 16-bit floats)."""
    arr = np.asarray(x)
    kind = _kind_of(arr.dtype)
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    buf = arr if arr.flags.c_contiguous else np.ascontiguousarray(arr).reshape(arr.shape)
    if kind in ("float16", "bfloat16"):
        buf = buf.view(np.uint16)
    return arr, kind, buf


def _check_format(fmt: Any) -> str:
    if not isinstance(fmt, str):
        raise TypeError(f"format must be a string such as 'hif4' or 'hif8:rounding=even', got {type(fmt).__name__}")
    return fmt


def _check_axis(axis: Any) -> int:
    try:
        return operator.index(axis)
    except TypeError:
        raise TypeError(f"axis must be an integer, got {type(axis).__name__}") from None


def _check_threads(threads: Any) -> int:
    try:
        return operator.index(threads)
    except TypeError:
        raise TypeError(f"threads must be an integer, got {type(threads).__name__}") from None


def fake_quant(x: Any, fmt: str, axis: int = -1, *, threads: int = 1) -> np.ndarray:
    """Quantises ``x`` to ``fmt`` and back (``decode(encode(x))``), in x's dtype.

    ``x``: array-like of float16, float32, float64 or bfloat16, any shape.
    ``fmt``: a format string, e.g. ``"hif4"``, ``"hif8:rounding=even"``, ``"mxfp4"``.
    ``axis``: the axis along which blocks are formed (ignored by elementwise formats).
    ``threads``: worker threads (0 = all cores) where the library has a threaded path.

    float16/bfloat16 inputs are widened exactly to float32 first and the result
    rounded back (to nearest even); float64 inputs are rounded to float32 first,
    except for hif8, which rounds the double directly.

    >>> import numpy as np, hifloat
    >>> hifloat.fake_quant(np.array([1.0, 3.3, 60000.0], dtype=np.float32), "hif8")
    array([1.  , 3.25,  inf], dtype=float32)
    >>> hifloat.fake_quant(np.array([3.3], dtype=np.float16), "hif8").dtype
    dtype('float16')

    Raises ValueError for an unknown format or option, or an axis out of range,
    and TypeError for a non-float array.
    """
    arr, kind, buf = _prepare(x)
    out = _hifloat.fake_quant(buf, kind, _check_format(fmt), _check_axis(axis), _check_threads(threads))
    if kind in ("float16", "bfloat16"):
        out = out.view(arr.dtype)
    return out


class Packed:
    """A packed tensor: the format's bytes plus what is needed to read them back.

    Attributes: ``data`` (1-D uint8 array, header then records in line order,
    docs/formats.md), ``format`` (canonical format string), ``shape`` (logical
    shape), ``axis`` (non-negative blocking axis), ``dtype`` (name of the dtype
    the tensor had before quantisation).

    >>> import numpy as np, hifloat
    >>> p = hifloat.encode(np.ones((4, 64), np.float32), "hif8")
    >>> p.nbytes, p.bits_per_value, p.shape
    (256, 8.0, (4, 64))
    """

    __slots__ = ("data", "format", "shape", "axis", "dtype")

    def __init__(self, data: Any, format: str, shape: Any, axis: int, dtype: str = "float32") -> None:
        arr = np.asarray(data)
        if arr.dtype != np.uint8 or arr.ndim != 1:
            raise TypeError(f"Packed data must be a 1-D uint8 array, got {arr.dtype} with shape {arr.shape}")
        if dtype not in _ST_NAMES:
            raise ValueError(f"Packed dtype must be one of {sorted(_ST_NAMES)}, got {dtype!r}")
        self.data = arr
        self.format = str(parse_format(_check_format(format)))
        self.shape = tuple(operator.index(d) for d in shape)
        self.axis = _check_axis(axis)
        self.dtype = dtype

    @property
    def nbytes(self) -> int:
        """Size of the packed data in bytes."""
        return int(self.data.size)

    @property
    def size(self) -> int:
        """Number of logical elements."""
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def bits_per_value(self) -> float:
        """Storage bits per logical element, headers and padding included."""
        n = self.size
        return 0.0 if n == 0 else 8.0 * self.nbytes / n

    def tobytes(self) -> bytes:
        return self.data.tobytes()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Packed):
            return NotImplemented
        return (
            (self.format, self.shape, self.axis, self.dtype) == (other.format, other.shape, other.axis, other.dtype)
            and np.array_equal(self.data, other.data)
        )

    __hash__ = None  # mutable container

    def __repr__(self) -> str:
        return (
            f"Packed(format={self.format!r}, shape={self.shape}, axis={self.axis}, dtype={self.dtype!r}, "
            f"nbytes={self.nbytes})"
        )

    def __getstate__(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)


def encode(x: Any, fmt: str, axis: int = -1, *, threads: int = 1) -> Packed:
    """Packs ``x`` into ``fmt`` with blocks along ``axis``; see :class:`Packed`.

    >>> import numpy as np, hifloat
    >>> x = np.array([[1.0, -2.5, 3.3]], dtype=np.float32)
    >>> p = hifloat.encode(x, "hif8")
    >>> p
    Packed(format='hif8', shape=(1, 3), axis=1, dtype='float32', nbytes=3)
    >>> hifloat.decode(p)
    array([[ 1.  , -2.5 ,  3.25]], dtype=float32)
    """
    arr, kind, buf = _prepare(x)
    data, canonical, norm_axis = _hifloat.encode(
        buf, kind, _check_format(fmt), _check_axis(axis), _check_threads(threads)
    )
    return Packed(data, canonical, arr.shape, norm_axis, kind)


def decode(packed: Packed, dtype: Any = np.float32, *, threads: int = 1) -> np.ndarray:
    """Unpacks ``packed`` into a new array of ``dtype`` (float32 by default).

    ``dtype`` may be float16, float32, float64 or bfloat16; float32 results are
    rounded to nearest even when narrowed.
    """
    if not isinstance(packed, Packed):
        raise TypeError(f"decode expects a hifloat.Packed, got {type(packed).__name__}")
    target = np.dtype(dtype)
    _kind_of(target)
    data = np.ascontiguousarray(packed.data, dtype=np.uint8)
    out = _hifloat.decode(data, packed.format, list(packed.shape), packed.axis, _check_threads(threads))
    return out if target == np.float32 else out.astype(target)

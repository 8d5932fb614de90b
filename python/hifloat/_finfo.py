"""Machine limits of hifloat8, in the manner of numpy.finfo."""

from __future__ import annotations

import numpy as np

from ._hifloat import hifloat8

__all__ = ["finfo"]


class _Hifloat8Info:
    """Limits of HiFloat8 (spec/HIF8.md).

    HiF8 is tapered: it keeps 3 mantissa bits for |exponent| <= 3, 2 bits up to
    7, 1 bit up to 15, and pure powers of two (denormals) from 2^-16 down to
    2^-22. ``eps``/``epsneg``/``nmant`` describe the precision next to 1.0.
    """

    def __init__(self) -> None:
        self.dtype = np.dtype(hifloat8)
        self.bits = 8
        self.eps = hifloat8(2.0**-3)  # 1.125 - 1
        self.epsneg = hifloat8(2.0**-4)  # 1 - 0.9375
        self.machep = -3
        self.negep = -4
        self.max = hifloat8(32768.0)
        self.min = hifloat8(-32768.0)
        self.smallest_normal = hifloat8(2.0**-15)
        self.tiny = self.smallest_normal
        self.smallest_subnormal = hifloat8(2.0**-22)
        self.minexp = -15
        self.maxexp = 16  # 2**16 overflows
        self.nmant = 3
        self.nexp = 4  # widest exponent field (dot D4: sign + 3 bits, implicit top bit)
        self.iexp = self.nexp
        self.precision = 0  # int(-log10(eps))
        self.resolution = hifloat8(1.0)

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution}, min={self.min}, max={self.max}, "
            f"eps={self.eps}, smallest_normal={self.smallest_normal}, "
            f"smallest_subnormal={self.smallest_subnormal}, dtype=hifloat8)"
        )

    def __str__(self) -> str:
        return "\n".join(
            [
                "Machine parameters for hifloat8 (tapered: precision next to 1.0)",
                "---------------------------------------------------------------",
                f"machep = {self.machep:3d}   eps = {self.eps}",
                f"negep =  {self.negep:3d}   epsneg = {self.epsneg}",
                f"minexp = {self.minexp:3d}   smallest_normal = {self.smallest_normal}",
                f"maxexp = {self.maxexp:3d}   max = {self.max}",
                f"nmant =  {self.nmant:3d}   smallest_subnormal = {self.smallest_subnormal}",
                "---------------------------------------------------------------",
            ]
        )


_HIF8_INFO = _Hifloat8Info()


def finfo(dtype):
    """Like numpy.finfo, and also for ``hifloat.hifloat8``.

    >>> import hifloat
    >>> fi = hifloat.finfo(hifloat.hifloat8)
    >>> float(fi.max), float(fi.eps), float(fi.smallest_subnormal)
    (32768.0, 0.125, 2.384185791015625e-07)
    """
    if dtype is hifloat8 or (not isinstance(dtype, np.ndarray) and _is_hif8_dtype(dtype)):
        return _HIF8_INFO
    try:
        import ml_dtypes

        return ml_dtypes.finfo(dtype)
    except ImportError:
        return np.finfo(dtype)


def _is_hif8_dtype(dtype) -> bool:
    try:
        return np.dtype(dtype) == np.dtype(hifloat8)
    except TypeError:
        return False

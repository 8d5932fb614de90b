"""hifloat: HiFloat8 / HiFloat4 and baseline low-precision formats for numpy and PyTorch.

Quick start (this block is run by the test suite, as is the README's):

>>> import numpy as np, hifloat
>>> x = np.array([0.1, 1.0, 3.3, -7.7], dtype=np.float32)
>>> hifloat.fake_quant(x, "hif8")                  # quantise to HiF8 and back
array([ 0.09375,  1.     ,  3.25   , -7.5    ], dtype=float32)
>>> h = x.astype(hifloat.hifloat8)                 # the numpy dtype
>>> h
array([0.09375, 1, 3.25, -7.5], dtype=hifloat8)
>>> h.astype(np.float32).tolist()
[0.09375, 1.0, 3.25, -7.5]

The C++ library defines every result; see README.md and docs/formats.md.
"""

from ._hifloat import hifloat8
from ._api import Packed, decode, encode, fake_quant
from ._matmul import matmul, quantize_activations_q8
from ._finfo import finfo
from ._formats import FormatInfo, FormatSpec, OptionInfo, formats, parse_format
from ._safetensors import load, save

__version__ = "0.1.0"

__all__ = [
    "hifloat8",
    "finfo",
    "fake_quant",
    "encode",
    "decode",
    "matmul",
    "quantize_activations_q8",
    "Packed",
    "formats",
    "parse_format",
    "FormatInfo",
    "FormatSpec",
    "OptionInfo",
    "save",
    "load",
    "__version__",
]

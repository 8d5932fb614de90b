"""PyTorch integration (optional: needs ``torch``). CPU tensors; others are
copied to the CPU and back.

>>> import torch, hifloat.torch as ht
>>> ht.fake_quant(torch.tensor([1.0, 3.3, -7.7]), "hif8")
tensor([ 1.0000,  3.2500, -7.5000])
>>> model = torch.nn.Sequential(torch.nn.Linear(64, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
>>> model = ht.quantize_model(model, weight="hif4", activation="hif8", skip=["2"])
>>> [type(m).__name__ for m in model]
['QuantLinear', 'ReLU', 'Linear']
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import _hifloat
from ._api import _check_axis, _check_format

__all__ = ["fake_quant", "fake_quant_ste", "QuantLinear", "quantize_model"]

_KINDS = {torch.float32: "float32", torch.float64: "float64", torch.float16: "float16", torch.bfloat16: "bfloat16"}


def fake_quant(tensor: torch.Tensor, fmt: str, axis: int = -1, *, threads: int = 1) -> torch.Tensor:
    """Quantise-dequantise ``tensor`` to ``fmt`` along ``axis``; same dtype and device.

    Identical to :func:`hifloat.fake_quant` on the tensor's values. Not
    differentiable; use :func:`fake_quant_ste` inside models.
    """
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"expected a torch.Tensor, got {type(tensor).__name__}")
    kind = _KINDS.get(tensor.dtype)
    if kind is None:
        raise TypeError(f"expected a floating-point tensor (float16, bfloat16, float32, float64), got {tensor.dtype}")
    t = tensor.detach().to("cpu").contiguous()
    if kind in ("float16", "bfloat16"):  # numpy has no bfloat16: pass the bits
        buf = t.view(torch.int16).numpy().view(np.uint16)
    else:
        buf = t.numpy()
    out = _hifloat.fake_quant(buf, kind, _check_format(fmt), _check_axis(axis), int(threads))
    if kind in ("float16", "bfloat16"):
        result = torch.from_numpy(out.view(np.int16)).view(tensor.dtype)
    else:
        result = torch.from_numpy(out)
    return result.to(tensor.device)


class _FakeQuantSTE(torch.autograd.Function):
    """Fake quantisation with the straight-through estimator: d out / d x = 1."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, fmt: str, axis: int) -> torch.Tensor:  # type: ignore[override]
        return fake_quant(x, fmt, axis)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        return grad, None, None


def fake_quant_ste(x: torch.Tensor, fmt: str, axis: int = -1) -> torch.Tensor:
    """:func:`fake_quant` whose gradient passes straight through (STE)."""
    return _FakeQuantSTE.apply(x, fmt, axis)


class QuantLinear(nn.Linear):
    """An ``nn.Linear`` whose weight and input are fake-quantised in forward.

    Blocks run along the reduction dimension (``in_features``): axis -1 of the
    weight ``[out, in]`` and of the input ``[..., in]``. Gradients use the
    straight-through estimator. ``weight``/``activation`` = None keeps that
    operand in full precision.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        weight: Optional[str] = "hif4",
        activation: Optional[str] = "hif4",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(in_features, out_features, bias, device=device, dtype=dtype)
        self.weight_format = _validated(weight)
        self.activation_format = _validated(activation)

    @classmethod
    def from_linear(cls, linear: nn.Linear, weight: Optional[str] = "hif4",
                    activation: Optional[str] = "hif4") -> "QuantLinear":
        """A QuantLinear sharing ``linear``'s parameters."""
        q = cls.__new__(cls)
        nn.Module.__init__(q)
        q.in_features, q.out_features = linear.in_features, linear.out_features
        q.weight = linear.weight
        q.bias = linear.bias
        q.weight_format = _validated(weight)
        q.activation_format = _validated(activation)
        return q

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight if self.weight_format is None else fake_quant_ste(self.weight, self.weight_format, -1)
        if self.activation_format is not None:
            x = fake_quant_ste(x, self.activation_format, -1)
        return F.linear(x, w, self.bias)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, weight={self.weight_format!r}, activation={self.activation_format!r}"


def _validated(fmt: Optional[str]) -> Optional[str]:
    if fmt is None:
        return None
    from ._formats import parse_format

    return str(parse_format(fmt))


def quantize_model(
    model: nn.Module,
    weight: Optional[str] = "hif4",
    activation: Optional[str] = "hif4",
    skip: Iterable[str] = (),
) -> nn.Module:
    """Replaces every ``nn.Linear`` of ``model`` (in place) with a :class:`QuantLinear`.

    ``skip``: qualified module names (as in ``model.named_modules()``) or
    fnmatch patterns (``"lm_head"``, ``"*.gate"``) to leave unquantised.
    Returns ``model``.
    """
    patterns = list(skip)
    wfmt, afmt = _validated(weight), _validated(activation)

    def skipped(name: str) -> bool:
        return any(name == p or fnmatch.fnmatchcase(name, p) for p in patterns)

    replace = [
        name for name, m in model.named_modules()
        if isinstance(m, nn.Linear) and not isinstance(m, QuantLinear) and name and not skipped(name)
    ]
    if isinstance(model, nn.Linear) and not isinstance(model, QuantLinear):
        raise TypeError("quantize_model replaces submodules; wrap a bare nn.Linear with QuantLinear.from_linear")
    for name in replace:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, QuantLinear.from_linear(getattr(parent, child), wfmt, afmt))
    return model

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

__all__ = ["fake_quant", "fake_quant_ste", "QuantLinear", "PackedLinear", "quantize_model"]

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


class PackedLinear(nn.Module):
    """An inference-only linear layer whose weight is stored packed.

    The weight [out, in] is kept as its packed bytes (a uint8 buffer
    ``packed_weight``, blocks along ``in_features``), so a ``hif4`` layer holds
    4.5 bits per weight instead of 16 or 32. ``forward`` runs the packed-weight
    kernel of docs/matmul.md on CPU float32 or bfloat16 inputs (float16 is
    widened exactly; other devices are copied to the CPU and back) and returns
    the input's dtype. If ``activation`` is set, the input is fake-quantised
    along its last axis first. No gradients flow through it.

    ``activations="int8"`` (``hif4`` weights and ``accumulate="fp32"`` only)
    runs the int8-activation kernel of docs/matmul.md §7 instead of the float
    one: each input row is quantised to int8 per 64 values inside the product
    (``hifloat.matmul(..., activations="int8")``). This is a choice of kernel,
    not a format: ``activation`` (a format string, default None) still
    fake-quantises the input before it.

    >>> import torch, hifloat.torch as ht
    >>> lin = torch.nn.Linear(128, 4)
    >>> p = ht.PackedLinear.from_linear(lin, "hif4")
    >>> p(torch.ones(2, 128)).shape, p.packed_weight.numel()
    (torch.Size([2, 4]), 288)
    """

    packed_weight: torch.Tensor

    def __init__(self, in_features: int, out_features: int, weight_format: str = "hif4", bias: bool = True, *,
                 activation: Optional[str] = None, accumulate: str = "fp32", threads: int = 0,
                 activations: str = "float") -> None:
        super().__init__()
        self._setup(in_features, out_features, weight_format, activation, accumulate, threads, None,
                    torch.zeros(out_features) if bias else None, activations)

    def _setup(self, in_features: int, out_features: int, weight_format: str, activation: Optional[str],
               accumulate: str, threads: int, data: Optional[np.ndarray], bias: Optional[torch.Tensor],
               activations: str) -> None:
        from ._matmul import _ACCUMULATIONS, _check_activations_kind, _check_int8_weights

        if accumulate not in _ACCUMULATIONS:
            raise ValueError(f"unknown accumulation {accumulate!r} (expected exact, fp32 or fp32_trunc)")
        _check_activations_kind(activations, "PackedLinear")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight_format = _validated(weight_format)
        self.activation_format = _validated(activation)
        if activations == "int8":
            _check_int8_weights(self.weight_format, accumulate, "PackedLinear")
        self.accumulate = accumulate
        self.activations = activations
        self.threads = int(threads)
        if data is None:  # an all-zero weight of the right packed size
            zeros = np.zeros((self.out_features, self.in_features), np.float32)
            data = _hifloat.encode(zeros, "float32", self.weight_format, 1, 1)[0]
        self.register_buffer("packed_weight", torch.from_numpy(data))
        self.bias = None if bias is None else nn.Parameter(bias.detach().to("cpu", torch.float32).clone(),
                                                           requires_grad=False)

    @classmethod
    def from_linear(cls, linear: nn.Linear, weight_format: str = "hif4", *, activation: Optional[str] = None,
                    accumulate: str = "fp32", threads: int = 0, activations: str = "float") -> "PackedLinear":
        """Packs ``linear.weight`` into ``weight_format`` (blocks along in_features); copies the bias."""
        w = linear.weight.detach().to("cpu").contiguous()
        if w.dtype in (torch.bfloat16, torch.float16):  # numpy has no bfloat16: pass the bits
            buf, kind = w.view(torch.int16).numpy().view(np.uint16), _KINDS[w.dtype]
        else:
            buf, kind = w.to(torch.float32).numpy(), "float32"
        data, _, _ = _hifloat.encode(buf, kind, _check_format(weight_format), 1, 1)
        p = cls.__new__(cls)
        nn.Module.__init__(p)
        p._setup(linear.in_features, linear.out_features, weight_format, activation, accumulate, threads, data,
                 linear.bias, activations)
        return p

    def packed(self):
        """The weight as a :class:`hifloat.Packed` of shape (out_features, in_features), axis 1."""
        from ._api import Packed

        return Packed(self.packed_weight.numpy(), self.weight_format, (self.out_features, self.in_features), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from ._matmul import matmul

        if x.shape[-1] != self.in_features:
            raise ValueError(f"PackedLinear: input has {x.shape[-1]} features, expected {self.in_features}")
        if self.activation_format is not None:
            x = fake_quant(x, self.activation_format, -1)
        t = x.detach().to("cpu")
        if t.dtype == torch.bfloat16:
            a = t.contiguous().view(torch.int16).numpy().view(np.uint16)
            import ml_dtypes

            a = a.view(ml_dtypes.bfloat16)
        elif t.dtype in (torch.float32, torch.float16):
            a = t.to(torch.float32).contiguous().numpy()
        else:
            raise TypeError(f"PackedLinear: expected a float32, bfloat16 or float16 input, got {x.dtype}")
        out = torch.from_numpy(matmul(a, self.packed(), accumulate=self.accumulate, linear=True, threads=self.threads,
                                      activations=self.activations))
        if self.bias is not None:
            out = out + self.bias.to(torch.float32)
        return out.to(dtype=x.dtype, device=x.device)

    def get_extra_state(self):
        return {"weight_format": self.weight_format, "activation_format": self.activation_format,
                "accumulate": self.accumulate, "activations": self.activations}

    def set_extra_state(self, state) -> None:
        self.weight_format = state["weight_format"]
        self.activation_format = state["activation_format"]
        self.accumulate = state["accumulate"]
        self.activations = state.get("activations", "float")  # absent in states saved before the option

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}, "
                f"weight={self.weight_format!r}, activation={self.activation_format!r}, "
                f"accumulate={self.accumulate!r}, activations={self.activations!r}")


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
    packed: bool = False,
    *,
    accumulate: str = "fp32",
    activations: str = "float",
    threads: int = 0,
) -> nn.Module:
    """Replaces every ``nn.Linear`` of ``model`` (in place) with a :class:`QuantLinear`.

    With ``packed=True`` they become :class:`PackedLinear` layers instead
    (inference only): the weight is stored packed in ``weight`` (required) and
    products run on the packed bytes; ``activation`` still fake-quantises inputs.
    ``accumulate``, ``activations`` (the kernel: "float" or "int8") and
    ``threads`` are passed to every :class:`PackedLinear`; they need ``packed=True``.

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
    if packed and wfmt is None:
        raise ValueError("quantize_model(packed=True) needs a weight format")
    if not packed and (accumulate, activations, threads) != ("fp32", "float", 0):
        raise ValueError(
            "quantize_model: accumulate, activations and threads choose the packed kernel; "
            "they need packed=True (fake-quant layers compute in float)"
        )
    for name in replace:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        lin = getattr(parent, child)
        if packed:
            new = PackedLinear.from_linear(lin, wfmt, activation=afmt, accumulate=accumulate, threads=threads,
                                           activations=activations)
        else:
            new = QuantLinear.from_linear(lin, wfmt, afmt)
        setattr(parent, child, new)
    return model

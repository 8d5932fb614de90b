"""hifloat.torch: fake_quant on tensors, QuantLinear, quantize_model with the STE."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (scripts/test.sh installs it from PyPI)")

import hifloat  # noqa: E402
import hifloat.torch as ht  # noqa: E402
from conftest import implemented_formats  # noqa: E402


def model_format() -> str:
    """hif4 once the C++ library has it, hif8 until then."""
    return "hif4" if "hif4" in implemented_formats() else "hif8"


@pytest.mark.parametrize("fmt", implemented_formats())
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16], ids=str)
def test_fake_quant_equals_the_numpy_path(fmt, dtype):
    torch.manual_seed(0)
    t = (torch.randn(6, 70) * 3).to(dtype)
    got = ht.fake_quant(t, fmt, axis=0)
    assert got.dtype == dtype and got.shape == t.shape
    if dtype == torch.bfloat16:
        import ml_dtypes

        x = t.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
        want = hifloat.fake_quant(x, fmt, 0).astype(np.float32)
    else:
        want = hifloat.fake_quant(t.numpy(), fmt, 0).astype(np.float32)
    np.testing.assert_array_equal(got.float().numpy(), want)


def test_fake_quant_errors_and_non_contiguous():
    t = torch.randn(8, 16)
    np.testing.assert_array_equal(ht.fake_quant(t.T, "hif8").numpy(), hifloat.fake_quant(t.T.numpy(), "hif8"))
    with pytest.raises(TypeError):
        ht.fake_quant(torch.arange(4), "hif8")
    with pytest.raises(ValueError, match="nope"):
        ht.fake_quant(t, "nope")
    with pytest.raises(ValueError, match="axis"):
        ht.fake_quant(t, "hif8", axis=3)


def test_ste_gradient_is_identity():
    x = torch.randn(5, 7, requires_grad=True)
    y = ht.fake_quant_ste(x, "hif8")
    (y * torch.arange(7.0)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.tile(np.arange(7.0, dtype=np.float32), (5, 1)))


def mlp() -> torch.nn.Module:
    torch.manual_seed(1)
    return torch.nn.Sequential(
        torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4)
    )


def test_quantize_model_outputs_are_the_fake_quantised_computation():
    fmt = model_format()
    ref = mlp()
    model = ht.quantize_model(mlp(), weight=fmt, activation=fmt, skip=["4"])
    assert [type(m).__name__ for m in model] == ["QuantLinear", "ReLU", "QuantLinear", "ReLU", "Linear"]
    x = torch.randn(10, 64)
    with torch.no_grad():
        # the same network computed by hand with the numpy API
        h = x.numpy()
        for i in (0, 2):
            w, b = ref[i].weight.numpy(), ref[i].bias.numpy()
            h = np.maximum(hifloat.fake_quant(h, fmt, -1) @ hifloat.fake_quant(w, fmt, -1).T + b, 0)
        want = h @ ref[4].weight.numpy().T + ref[4].bias.numpy()
        got = model(x).numpy()
        full = ref(x).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # the change is that of quantisation: non-zero, and of the order of the format's precision
    rel = np.linalg.norm(got - full) / np.linalg.norm(full)
    bound = {"hif8": 0.1, "hif4": 0.3}.get(fmt, 0.3)
    assert 1e-4 < rel < bound, rel


def test_quantize_model_skip_patterns_and_none():
    model = ht.quantize_model(mlp(), weight="hif8", activation=None, skip=["*4"])
    assert isinstance(model[0], ht.QuantLinear) and model[0].activation_format is None
    assert type(model[4]) is torch.nn.Linear
    with pytest.raises(ValueError):
        ht.quantize_model(mlp(), weight="bogus")
    q = ht.QuantLinear(8, 4, weight="hif8:rounding=even", activation="hif8")
    assert "hif8:rounding=even" in repr(q)


def test_training_with_the_ste_decreases_the_loss():
    fmt = model_format()
    torch.manual_seed(2)
    x = torch.randn(256, 64)
    target = torch.sin(x[:, :4] * 2.0) + 0.5 * x[:, 4:8]
    model = ht.quantize_model(mlp(), weight=fmt, activation=fmt)
    assert all(isinstance(model[i], ht.QuantLinear) for i in (0, 2, 4))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    assert losses[-1] < 0.7 * losses[0], losses[::10]

"""hifloat.matmul and hifloat.torch.PackedLinear against docs/matmul.md.

The reference here is written from the contract with exact rational
arithmetic (fractions.Fraction): weights are decoded by hifloat.decode (the
format's reference decoder), every product and sum is exact, and rounding to
fp32 happens only where docs/matmul.md §2 says (round32 below).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

import hifloat

FLT_MAX = float(np.finfo(np.float32).max)


def round32(q: Fraction, toward_zero: bool = False) -> float:
    """The rational q rounded to binary32: ties to even, or toward zero (overflow: Inf / FLT_MAX)."""
    if q == 0:
        return 0.0
    sign, q = (-1.0 if q < 0 else 1.0), abs(q)
    e = q.numerator.bit_length() - q.denominator.bit_length()
    if Fraction(2) ** e > q:
        e -= 1
    quantum = Fraction(2) ** (max(e, -126) - 23)  # subnormals share the quantum 2^-149
    n = q / quantum
    r = math.floor(n)
    if not toward_zero and (n - r > Fraction(1, 2) or (n - r == Fraction(1, 2) and r % 2 == 1)):
        r += 1
    v = r * quantum
    if v >= Fraction(2) ** 128:  # overflow: RNE gives Inf, round-toward-zero the largest finite
        return sign * (FLT_MAX if toward_zero else math.inf)
    return sign * float(v)


def exact_products(a_row, w_row):
    return [Fraction(float(x)) * Fraction(float(y)) for x, y in zip(a_row, w_row)]


def model(a_row, w_row, accumulate: str, block: int, packed_a: bool = False) -> float:
    """One output C[m][n] by docs/matmul.md §2 (dense×packed, or packed×packed when packed_a)."""
    p = exact_products(a_row, w_row)
    k = len(p)
    if accumulate == "exact":  # §2.1
        return round32(sum(p, Fraction(0)))
    if accumulate == "fp32_trunc":  # §2.3
        acc = 0.0
        for b0 in range(0, k, block):
            acc = round32(Fraction(acc) + sum(p[b0:b0 + block], Fraction(0)), toward_zero=True)
        return acc
    if packed_a:  # §2.2 packed × packed: per block rounded, then fp32 adds
        acc = 0.0
        for b0 in range(0, k, block):
            acc = round32(Fraction(acc) + Fraction(round32(sum(p[b0:b0 + block], Fraction(0)))))
        return acc
    lanes = [0.0] * 16  # §2.2 weight-only: 16 FMA lanes, then the halving tree
    for i, prod in enumerate(p):
        lanes[i % 16] = round32(prod + Fraction(lanes[i % 16]))
    for half in (8, 4, 2, 1):
        for j in range(half):
            lanes[j] = round32(Fraction(lanes[j]) + Fraction(lanes[j + half]))
    return lanes[0]


def model_matrix(a, w_lines, accumulate, block, packed_a=False):
    return np.array([[model(a[m], w_lines[n], accumulate, block, packed_a) for n in range(w_lines.shape[0])]
                     for m in range(a.shape[0])], dtype=np.float32)


def same_bits(x, y) -> bool:
    x, y = np.asarray(x, np.float32), np.asarray(y, np.float32)
    return x.shape == y.shape and np.array_equal(x.view(np.uint32), y.view(np.uint32))


def rng_floats(rng, shape, spread=4.0):
    return (rng.standard_normal(shape) * np.exp2(rng.uniform(-spread, spread, shape))).astype(np.float32)


BLOCKS = {"hif4": 64, "nvfp4": 16, "mxfp4": 32, "mxfp8_e4m3": 32, "int4": 32, "hif8": 64}
ACCUMULATIONS = ["exact", "fp32", "fp32_trunc"]


def test_round32_model():
    one = Fraction(1)
    assert round32(one + Fraction(1, 2**24)) == 1.0  # a tie goes to even
    assert round32(one + Fraction(1, 2**24) + Fraction(1, 2**80)) == float(np.float32(1) + np.float32(2**-23))
    assert round32(one - Fraction(1, 2**90), toward_zero=True) == float(np.nextafter(np.float32(1), np.float32(0)))
    assert round32(Fraction(2**-150) * 3) == 2**-149 * 2  # 1.5 quanta of 2^-149: tie to even → 2
    assert round32(Fraction(2) ** 128) == math.inf and round32(Fraction(2) ** 128, True) == FLT_MAX


@pytest.mark.parametrize("fmt", sorted(BLOCKS))
@pytest.mark.parametrize("accumulate", ACCUMULATIONS)
@pytest.mark.parametrize("linear", [False, True])
def test_dense_times_packed_bit_exact(fmt, accumulate, linear):
    rng = np.random.default_rng(len(fmt) * 7 + linear)
    m, k, n = 2, 100, 3
    w = rng_floats(rng, (n, k), 2)
    b = hifloat.encode(w, fmt, axis=1) if linear else hifloat.encode(np.ascontiguousarray(w.T), fmt, axis=0)
    dec = hifloat.decode(b)
    w_lines = dec if linear else dec.T
    a = rng_floats(rng, (m, k))
    got = hifloat.matmul(a, b, accumulate=accumulate, linear=linear, threads=2)
    assert same_bits(got, model_matrix(a, w_lines, accumulate, BLOCKS[fmt]))


@pytest.mark.parametrize("accumulate", ACCUMULATIONS)
def test_bf16_activations_equal_widened(accumulate):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    rng = np.random.default_rng(3)
    a = rng_floats(rng, (3, 130)).astype(ml_dtypes.bfloat16)
    w = hifloat.encode(rng_floats(rng, (5, 130)), "hif4", axis=1)
    got = hifloat.matmul(a, w, accumulate=accumulate, linear=True)
    assert same_bits(got, hifloat.matmul(a.astype(np.float32), w, accumulate=accumulate, linear=True))


@pytest.mark.parametrize("fmt", ["hif4", "hif8", "nvfp4"])
@pytest.mark.parametrize("accumulate", ACCUMULATIONS)
def test_packed_times_packed_bit_exact(fmt, accumulate):
    rng = np.random.default_rng(11)
    a = hifloat.encode(rng_floats(rng, (2, 150)), fmt, axis=1)
    w = hifloat.encode(rng_floats(rng, (3, 150)), fmt, axis=1)
    got = hifloat.matmul(a, w, accumulate=accumulate, linear=True)
    want = model_matrix(hifloat.decode(a), hifloat.decode(w), accumulate, BLOCKS[fmt], packed_a=True)
    assert same_bits(got, want)
    one_row = hifloat.encode(rng_floats(rng, (150,)), fmt, axis=0)
    assert hifloat.matmul(one_row, w, accumulate=accumulate, linear=True).shape == (3,)


def test_exact_is_one_rounding_of_the_real_sum_not_of_a_float64_sum():
    # 1 + 2^-24 + 2^-80: float64 drops 2^-80 and the fp32 rounding of 1 + 2^-24
    # is a tie (→ 1); the real sum is just above the tie (→ 1 + 2^-23).
    a = np.zeros((1, 64), np.float32)
    a[0, :3] = [1.0, 2.0**-24, 2.0**-80]
    w = hifloat.encode(np.ones((1, 64), np.float32), "hif8", axis=1)
    assert hifloat.decode(w)[0, 0] == 1.0
    f64 = np.float32(a.astype(np.float64) @ hifloat.decode(w).astype(np.float64).T)
    assert f64[0, 0] == 1.0
    assert hifloat.matmul(a, w, accumulate="exact", linear=True)[0, 0] == np.float32(1) + np.float32(2**-23)


def test_exact_equals_float64_when_float64_is_exact():
    # bf16-valued activations in [2^-4, 2^4) times HiF4 weights: every product and
    # partial sum needs < 53 bits, so the float64 matmul is the exact sum and
    # rounding it to fp32 once is exactly the `exact` rule.
    ml_dtypes = pytest.importorskip("ml_dtypes")
    rng = np.random.default_rng(5)
    a = rng_floats(rng, (8, 256), 2).astype(ml_dtypes.bfloat16).astype(np.float32)
    w = hifloat.encode(rng.standard_normal((16, 256)).astype(np.float32), "hif4", axis=1)
    want = (a.astype(np.float64) @ hifloat.decode(w).astype(np.float64).T).astype(np.float32)
    assert same_bits(hifloat.matmul(a, w, accumulate="exact", linear=True, threads=0), want)


def fp32_bound(a, w_lines, k):
    """|fp32-mode result − exact sum| ≤ (⌈K/16⌉ + 4)·u·Σ|a||w|, u = 2^-24: each lane rounds
    at most ⌈K/16⌉ times (one per FMA) and the tree adds 4 more roundings (first-order
    error analysis of recursive summation, Higham §4.2); 1% slack for the second-order term."""
    steps = math.ceil(k / 16) + 4
    return 1.01 * steps * 2.0**-24 * (np.abs(a).astype(np.float64) @ np.abs(w_lines).astype(np.float64).T)


@pytest.mark.parametrize("fmt", ["hif4", "nvfp4", "mxfp4", "int4", "hif8"])
def test_fp32_mode_close_to_fake_quant_matmul(fmt):
    rng = np.random.default_rng(21)
    m, k, n = 16, 1000, 24
    a, w = rng_floats(rng, (m, k), 2), rng_floats(rng, (n, k), 2)
    wq = hifloat.fake_quant(w, fmt, axis=1)
    got = hifloat.matmul(a, hifloat.encode(w, fmt, axis=1), linear=True, threads=0).astype(np.float64)
    exact = a.astype(np.float64) @ wq.astype(np.float64).T  # float64 error ≤ K·2^-53·Σ|a||w|, negligible here
    bound = fp32_bound(a, wq, k)
    assert np.all(np.abs(got - exact) <= bound + k * 2.0**-53 * bound / (2.0**-24))
    # float32 BLAS on the fake-quantised weights has its own error ≤ K·u·Σ|a||w|.
    f32 = (a @ wq.T).astype(np.float64)
    assert np.all(np.abs(got - f32) <= bound + 1.01 * k * 2.0**-24 * (np.abs(a) @ np.abs(wq).T))


def test_shapes_and_errors():
    rng = np.random.default_rng(1)
    w = hifloat.encode(rng_floats(rng, (5, 70)), "hif4", axis=1)
    assert hifloat.matmul(rng_floats(rng, (2, 3, 70)), w, linear=True).shape == (2, 3, 5)
    assert hifloat.matmul(rng_floats(rng, (70,)), w, linear=True).shape == (5,)
    half = rng_floats(rng, (2, 70)).astype(np.float16)
    assert same_bits(hifloat.matmul(half, w, linear=True), hifloat.matmul(half.astype(np.float32), w, linear=True))
    with pytest.raises(TypeError, match="Packed"):
        hifloat.matmul(rng_floats(rng, (2, 70)), rng_floats(rng, (70, 5)))
    with pytest.raises(TypeError, match="float32"):
        hifloat.matmul(np.ones((2, 70)), w, linear=True)
    with pytest.raises(ValueError, match="accumulation"):
        hifloat.matmul(rng_floats(rng, (2, 70)), w, accumulate="fp16", linear=True)
    with pytest.raises(ValueError):  # K mismatch
        hifloat.matmul(rng_floats(rng, (2, 71)), w, linear=True)
    with pytest.raises(ValueError, match="axis"):  # W layout used as B (K, N) blocked along axis 1
        hifloat.matmul(rng_floats(rng, (2, 5)), w)
    with pytest.raises(ValueError):  # packed × packed in different formats
        hifloat.matmul(hifloat.encode(rng_floats(rng, (2, 70)), "nvfp4"), w, linear=True)
    with pytest.raises(ValueError, match="threads"):
        hifloat.matmul(rng_floats(rng, (2, 70)), w, linear=True, threads=-1)


# ---- hifloat.torch.PackedLinear -------------------------------------------------------------


def linear_bound(x, w, bias, k):
    """PackedLinear vs fake-quant weight + F.linear, both in float32: the fp32-mode bound
    (fp32_bound) plus F.linear's own float32 error (≤ K·u·Σ|x||w|, any summation order),
    plus one rounding of the bias addition on each side (2·u·(|y| + |b|))."""
    sx = np.abs(x).astype(np.float64) @ np.abs(w).astype(np.float64).T
    return fp32_bound(x, w, k) + 1.01 * k * 2.0**-24 * sx + 2 * 2.0**-24 * (sx + np.abs(bias))


def test_packed_linear_matches_fake_quant_linear():
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    import hifloat.torch as ht

    torch.manual_seed(0)
    lin = torch.nn.Linear(300, 40)
    p = ht.PackedLinear.from_linear(lin, "hif4")
    x = torch.randn(7, 300)
    got = p(x)
    wq = ht.fake_quant(lin.weight.detach(), "hif4", axis=-1)
    want = F.linear(x, wq, lin.bias.detach())
    bound = linear_bound(x.numpy(), wq.numpy(), lin.bias.detach().numpy(), 300)
    assert got.dtype == torch.float32 and got.shape == (7, 40)
    assert np.all(np.abs(got.detach().numpy().astype(np.float64) - want.detach().numpy()) <= bound)
    # Exactly the library call on the same packed bytes, plus the bias.
    c = hifloat.matmul(x.numpy(), p.packed(), linear=True)
    assert same_bits(got.detach().numpy(), c + lin.bias.detach().numpy())
    # Leading dimensions and bf16 inputs (computed on the bf16 values, output rounded to bf16).
    x3 = torch.randn(2, 3, 300).to(torch.bfloat16)
    y3 = p(x3)
    assert y3.dtype == torch.bfloat16 and y3.shape == (2, 3, 40)
    ref3 = torch.from_numpy(hifloat.matmul(x3.float().numpy(), p.packed(), linear=True)) + lin.bias.detach()
    assert torch.equal(y3, ref3.to(torch.bfloat16))


def test_packed_linear_weight_memory_is_4_5_of_16_bits():
    torch = pytest.importorskip("torch")
    import hifloat.torch as ht

    lin = torch.nn.Linear(1024, 1024).to(torch.bfloat16)
    p = ht.PackedLinear.from_linear(lin, "hif4")
    bf16_weight = lin.weight.numel() * lin.weight.element_size()
    packed_weight = p.packed_weight.numel() * p.packed_weight.element_size()
    assert p.packed_weight.dtype == torch.uint8
    assert abs(packed_weight / bf16_weight - 4.5 / 16) <= 0.05 * 4.5 / 16
    # The whole module (bias included, kept as float32) stays within 5% too.
    total = sum(t.numel() * t.element_size() for t in list(p.parameters()) + list(p.buffers()))
    bf16_total = sum(t.numel() * t.element_size() for t in lin.parameters())
    assert abs(total / bf16_total - 4.5 / 16) <= 0.05 * 4.5 / 16
    # Packing a bf16 layer packs its exact values.
    assert same_bits(hifloat.decode(p.packed()), hifloat.fake_quant(lin.weight.float().detach().numpy(), "hif4"))


def test_quantize_model_packed():
    torch = pytest.importorskip("torch")
    import hifloat.torch as ht

    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 8))
    x = torch.randn(4, 64)
    ref = ht.quantize_model(__import__("copy").deepcopy(model), weight="hif4", activation=None)(x)
    packed = ht.quantize_model(model, weight="hif4", activation=None, packed=True)
    assert [type(m).__name__ for m in packed] == ["PackedLinear", "ReLU", "PackedLinear"]
    with torch.no_grad():
        got = packed(x)
    assert torch.allclose(got, ref, rtol=1e-4, atol=1e-4)  # same weights; only the summation order differs
    state = packed.state_dict()
    assert state["0.packed_weight"].dtype == torch.uint8
    fresh = torch.nn.Sequential(ht.PackedLinear(64, 32, "hif4"), torch.nn.ReLU(), ht.PackedLinear(32, 8, "hif4"))
    fresh.load_state_dict(state)
    assert torch.equal(fresh(x), got)
    with pytest.raises(ValueError):
        ht.quantize_model(torch.nn.Sequential(torch.nn.Linear(4, 4)), weight=None, packed=True)

"""hifloat.matmul(..., activations="int8"), hifloat.quantize_activations_q8 and
PackedLinear(activations="int8") against docs/matmul.md §7.

The reference here is written from §7 and HIF4.md, not from the library:
activations are quantised with numpy float32 division (IEEE, ties to even)
and np.rint (round half to even); the integer weights w_i are read from the
packed bytes by the HIF4.md §7 layout (and checked against hifloat.decode:
w·S/4 must be the decoded value); I_u is an exact int64 sum; U_u and the
accumulation are elementwise np.float32 operations in unit order.
"""

from __future__ import annotations

import math
import os
import pathlib
import subprocess

import numpy as np
import pytest

import hifloat
from conftest import REPO

UNIT = 64
UNIT_BYTES = 36


# ---- the §7 model ---------------------------------------------------------------------------


def quantize_rows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """§7 "Activation quantisation" of a float32 (M, K): q int64 (M, U, 64), zero padded; d float32 (M, U)."""
    m, k = a.shape
    units = -(-k // UNIT)
    padded = np.zeros((m, units * UNIT), np.float32)
    padded[:, :k] = a
    blocks = padded.reshape(m, units, UNIT)
    q = np.zeros((m, units, UNIT), np.int64)
    d = np.zeros((m, units), np.float32)
    with np.errstate(all="ignore"):
        for i in range(m):
            for u in range(units):
                blk = blocks[i, u]
                if not np.all(np.isfinite(blk)):
                    d[i, u] = np.nan  # q stays 0
                    continue
                du = np.float32(np.max(np.abs(blk))) / np.float32(127)  # one IEEE fp32 division
                d[i, u] = du
                if du == 0:
                    continue
                r = blk / du  # fp32 division per element
                q[i, u] = np.clip(np.rint(r), -127, 127).astype(np.int64)  # np.rint: half to even
    return q, d


def hif4_integer_lines(p: hifloat.Packed) -> tuple[np.ndarray, np.ndarray]:
    """HIF4.md §3, §7: the packed lines as integers w (N, U, 64) with x̂ = w·S/4, and S/4 (N, U) float32.

    Lines are the N lines of K values (rows of W (N, K), columns of B (K, N)).
    """
    assert hifloat.parse_format(p.format).name == "hif4"
    k = p.shape[p.axis]
    n = p.shape[1 - p.axis]
    units = -(-k // UNIT)
    raw = np.asarray(p.data, np.uint8).reshape(n, units, UNIT_BYTES).astype(np.int64)
    code, b8, b4 = raw[..., 0], raw[..., 1], raw[..., 2] | (raw[..., 3] << 8)
    payload = raw[..., 4:]
    codes = np.empty((n, units, UNIT), np.int64)
    codes[..., 0::2] = payload & 0xF  # element 2p in the low nibble of byte 4+p
    codes[..., 1::2] = payload >> 4
    i = np.arange(UNIT)
    sh = ((b8[..., None] >> (i >> 3)) & 1) + ((b4[..., None] >> (i >> 2)) & 1)
    w = np.where(codes >> 3 == 1, -1, 1) * ((codes & 7) << sh)
    s4 = np.empty((n, units), np.float32)
    for idx in np.ndindex(n, units):
        c = int(code[idx])  # E6M2: S = (1 + f/4)·2^((c >> 2) − 48); 0xFF = NaN unit
        s4[idx] = np.nan if c == 0xFF else math.ldexp(1 + (c & 3) / 4, (c >> 2) - 48 - 2)
    return w, s4


def check_integer_form_against_decode(p: hifloat.Packed, w: np.ndarray, s4: np.ndarray) -> None:
    """The integers read from the bytes must reproduce hifloat.decode: x̂ = w·S/4 (NaN for NaN units)."""
    dec = hifloat.decode(p)
    lines = dec if p.axis == 1 else dec.T
    n, k = lines.shape
    mine = (w * s4[..., None].astype(np.float64)).reshape(n, -1)[:, :k]  # exact: ≤ 7 bits × a power of two
    assert np.array_equal(np.isnan(mine), np.isnan(lines))
    ok = ~np.isnan(lines)
    assert np.array_equal(mine[ok], lines[ok].astype(np.float64))


def model_q8(a: np.ndarray, p: hifloat.Packed) -> np.ndarray:
    """§7 "Dot product" for dense a (M, K) and packed hif4 weights p; returns (M, N) float32."""
    a = np.asarray(a, np.float32).reshape(-1, a.shape[-1])
    q, d = quantize_rows(a)
    w, s4 = hif4_integer_lines(p)
    check_integer_form_against_decode(p, w, s4)
    integer = np.einsum("mui,nui->mnu", q, w)  # exact int64: |I_u| ≤ 64·127·28
    assert np.all(np.abs(integer) <= 64 * 127 * 28)
    with np.errstate(all="ignore"):
        ds = d[:, None, :] * s4[None, :, :]  # fp32(d_u · S_u/4)
        units = integer.astype(np.float32) * ds  # fp32(fp32(I_u) · ds); I_u exact in fp32
        acc = np.zeros(units.shape[:2], np.float32)
        for u in range(units.shape[2]):  # increasing unit order, from +0
            acc = acc + units[:, :, u]
    return acc


def same(x, y) -> bool:
    """Bit for bit, except that any NaN equals any NaN."""
    x, y = np.asarray(x, np.float32), np.asarray(y, np.float32)
    if x.shape != y.shape or not np.array_equal(np.isnan(x), np.isnan(y)):
        return False
    ok = ~np.isnan(x)
    return np.array_equal(x[ok].view(np.uint32), y[ok].view(np.uint32))


def rng_floats(rng, shape, spread=4.0):
    return (rng.standard_normal(shape) * np.exp2(rng.uniform(-spread, spread, shape))).astype(np.float32)


def pack(w_lines: np.ndarray, linear: bool) -> hifloat.Packed:
    """W (N, K) packed along K: as (N, K) axis 1 for linear, else as B = Wᵀ (K, N) axis 0."""
    if linear:
        return hifloat.encode(w_lines, "hif4", axis=1)
    return hifloat.encode(np.ascontiguousarray(w_lines.T), "hif4", axis=0)


# ---- the model's own sanity -----------------------------------------------------------------


def test_model_quantiser_by_hand():
    # amax = 127 → d = 1 exactly: q = rne(a) (ties to even), as §7 says.
    a = np.zeros((1, 64), np.float32)
    a[0, :6] = [127, 2.5, -2.5, 0.5, 1.5, -126.5]
    q, d = quantize_rows(a)
    assert d[0, 0] == 1 and q[0, 0, :6].tolist() == [127, 2, -2, 0, 2, -126]
    # The HIF4.md §8.1 unit: bytes → integers (x̂ = w·S/4 with S = 1.5).
    unit = bytes.fromhex(
        "C2 01 11 00  A7 00 33 09 92 20 80 00 07 00 00 00 00 00 00 00 00 00 00 00 09 00 00 00 00 00 00 00 00 00 00 00"
    )
    assert len(unit) == 36
    p = hifloat.Packed(np.frombuffer(unit, np.uint8).copy(), "hif4", (1, 64), 1)
    w, s4 = hif4_integer_lines(p)
    assert s4[0, 0] == 0.375
    assert w[0, 0, :17].tolist() == [28, -8, 0, 0, 6, 6, -2, 0, 2, -1, 0, 2, 0, 0, 0, 0, 14]
    assert w[0, 0, 40] == -1
    check_integer_form_against_decode(p, w, s4)


# ---- hifloat.quantize_activations_q8 --------------------------------------------------------


def test_quantize_activations_matches_the_rule():
    rng = np.random.default_rng(40)
    a = rng_floats(rng, (3, 5, 150), 6)
    a[0, 0, 70] = np.inf  # block 1 of that row: d = NaN, q = 0
    a[0, 1, 3] = np.nan
    a[1, 0, :64] = 0.0  # d = 0
    a[1, 1, :64] = 0.0
    a[1, 1, 7] = np.float32(63 * 2.0**-149)  # amax/127 underflows to 0 → q = 0
    a[1, 2, :64] = 0.0
    a[1, 2, 7] = np.float32(190 * 2.0**-149)  # d = 2^-149 (coarse): 190 clamps to 127
    a[1, 2, 9] = np.float32(-5 * 2.0**-149)
    q, d = hifloat.quantize_activations_q8(a)
    assert q.dtype == np.int8 and q.shape == (3, 5, 150) and d.dtype == np.float32 and d.shape == (3, 5, 3)
    want_q, want_d = quantize_rows(a.reshape(15, 150))
    assert np.array_equal(q.reshape(15, 150), want_q.reshape(15, -1)[:, :150])
    assert same(d.reshape(15, 3), want_d)
    assert np.isnan(d[0, 0, 1]) and not q[0, 0, 64:128].any() and np.isnan(d[0, 1, 0])
    assert d[1, 0, 0] == 0 and d[1, 1, 0] == 0 and not q[1, 1, :64].any()
    assert d[1, 2, 0] == np.float32(2.0**-149) and q[1, 2, 7] == 127 and q[1, 2, 9] == -5
    # bf16 / fp16 inputs are their exactly widened values; 1-d input is one row.
    ml_dtypes = pytest.importorskip("ml_dtypes")
    b = rng_floats(rng, (2, 100)).astype(ml_dtypes.bfloat16)
    for x in (b, b.astype(np.float32).astype(np.float16)):
        qx, dx = hifloat.quantize_activations_q8(x)
        qw, dw = hifloat.quantize_activations_q8(x.astype(np.float32))
        assert np.array_equal(qx, qw) and same(dx, dw)
    q1, d1 = hifloat.quantize_activations_q8(a[2, 3])
    assert np.array_equal(q1, q[2, 3]) and same(d1, d[2, 3])
    with pytest.raises(TypeError, match="float32"):
        hifloat.quantize_activations_q8(np.ones(4, np.float64))


# ---- hifloat.matmul(..., activations="int8") ------------------------------------------------

SHAPES = [(1, 1, 1), (3, 70, 5), (2, 64, 8), (7, 130, 17), (16, 257, 33), (9, 200, 3)]


@pytest.mark.parametrize("m,k,n", SHAPES)
@pytest.mark.parametrize("linear", [True, False])
def test_int8_activations_bit_exact(m, k, n, linear):
    rng = np.random.default_rng(m * 1000 + k * 10 + n + linear)
    w = rng_floats(rng, (n, k), 3)
    a = rng_floats(rng, (m, k), 5)
    p = pack(w, linear)
    want = model_q8(a, p)
    for threads in (1, 2):
        got = hifloat.matmul(a, p, linear=linear, threads=threads, activations="int8")
        assert got.dtype == np.float32 and got.shape == (m, n)
        assert same(got, want), (threads, np.argwhere(got.view(np.uint32) != want.view(np.uint32))[:5])


def test_ties_round_to_even():
    # amax = 127 makes d = 1, so a/d = a: the x.5 values are ties, which go to even
    # (ggml's round-half-away would give 3, -3, 1, -1). Through quantize and matmul.
    ties = np.array([127, 2.5, -2.5, 0.5, -0.5, 1.5, -126.5, 3.5], np.float32)
    a = np.zeros((2, 128), np.float32)
    a[0, :8] = ties
    a[1, 64:72] = ties * np.float32(2.0**-20)  # same ratios with d = 2^-20
    q, d = hifloat.quantize_activations_q8(a)
    assert d[0].tolist() == [1.0, 0.0] and d[1].tolist() == [0.0, 2.0**-20]
    assert q[0, :8].tolist() == [127, 2, -2, 0, 0, 2, -126, 4] and q[1, 64:72].tolist() == q[0, :8].tolist()
    rng = np.random.default_rng(5)
    p = pack(rng_floats(rng, (3, 128), 1), True)
    assert same(hifloat.matmul(a, p, linear=True, activations="int8"), model_q8(a, p))


@pytest.mark.parametrize("linear", [True, False])
def test_nan_unit_and_non_finite_activations(linear):
    rng = np.random.default_rng(7)
    m, k, n = 5, 200, 11
    w = rng_floats(rng, (n, k), 2)
    w[3, 100] = np.nan  # weight line 3, unit 1 → NaN unit: column 3 is NaN everywhere
    w[6, 5] = np.inf  # saturates (HIF4.md §4.2): finite, large
    a = rng_floats(rng, (m, k), 2)
    a[1, 190] = np.inf  # row 1, block 2 → d = NaN: row 1 is NaN everywhere
    a[2, 0] = -np.inf
    a[3, 64] = np.nan
    p = pack(w, linear)
    got = hifloat.matmul(a, p, linear=linear, threads=2, activations="int8")
    assert same(got, model_q8(a, p))
    nan = np.isnan(got)
    assert nan[:, 3].all() and nan[1].all() and nan[2].all() and nan[3].all()
    assert not nan[np.ix_([0, 4], [i for i in range(n) if i != 3])].any()


def test_extreme_scales_overflow_and_underflow():
    # d·S/4 overflows to Inf for huge activations × the largest weight scale, and
    # underflows (to subnormals or 0) for tiny activations × tiny weights.
    rng = np.random.default_rng(9)
    k, n = 128, 6
    w = rng_floats(rng, (n, k), 1)
    w[0] *= np.float32(3e4)
    w[1] *= np.float32(2.0**-40)
    a = rng_floats(rng, (4, k), 1)
    a[0] *= np.float32(1e36)
    a[1] *= np.float32(2.0**-100)
    a[2, :64] = np.float32(2.0**-135) * np.sign(a[2, :64])  # subnormal d
    p = pack(w, True)
    got = hifloat.matmul(a, p, linear=True, activations="int8")
    want = model_q8(a, p)
    assert same(got, want)
    assert np.isinf(want[0, 0]) or np.isnan(want[0, 0])  # the model does reach the overflow
    assert (want[1] == 0).any() or (np.abs(want[1]) < np.finfo(np.float32).tiny).any()


def test_bf16_and_fp16_activations():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    rng = np.random.default_rng(13)
    m, k, n = 6, 150, 10
    p = pack(rng_floats(rng, (n, k), 2), True)
    a16 = rng_floats(rng, (m, k), 3).astype(ml_dtypes.bfloat16)
    got = hifloat.matmul(a16, p, linear=True, threads=2, activations="int8")
    assert same(got, model_q8(a16.astype(np.float32), p))
    h = rng_floats(rng, (m, k), 3).astype(np.float16)
    assert same(hifloat.matmul(h, p, linear=True, activations="int8"), model_q8(h.astype(np.float32), p))
    # Leading dimensions and a 1-d a, like the float path.
    x = rng_floats(rng, (2, 3, k))
    assert same(hifloat.matmul(x, p, linear=True, activations="int8").reshape(6, n), model_q8(x.reshape(6, k), p))
    assert same(hifloat.matmul(x[0, 0], p, linear=True, activations="int8"), model_q8(x[0, 0][None], p)[0])


def test_int8_activations_differ_from_the_float_path():
    # The option really switches kernels: with activations that int8 cannot hold
    # exactly, the two products differ (and stay within the quantisation error).
    rng = np.random.default_rng(17)
    a, w = rng_floats(rng, (4, 256), 1), rng_floats(rng, (8, 256), 1)
    p = pack(w, True)
    f = hifloat.matmul(a, p, linear=True)
    q8 = hifloat.matmul(a, p, linear=True, activations="int8")
    assert not same(f, q8)
    wq = hifloat.decode(p).astype(np.float64)
    d = np.repeat(quantize_rows(a)[1], UNIT, axis=1)[:, :256].astype(np.float64)
    bound = (d / 2) @ np.abs(wq).T + 1e-5 * (np.abs(a) @ np.abs(wq).T)  # d/2 per activation + fp32 slack
    assert np.all(np.abs(q8.astype(np.float64) - f) <= bound)


def test_int8_activation_errors():
    rng = np.random.default_rng(1)
    a = rng_floats(rng, (2, 70))
    w = hifloat.encode(rng_floats(rng, (5, 70)), "hif4", axis=1)
    for fmt in ("nvfp4", "hif8", "mxfp4"):
        other = hifloat.encode(rng_floats(rng, (5, 70)), fmt, axis=1)
        with pytest.raises(ValueError, match=f"needs hif4 weights, got format '{fmt}"):
            hifloat.matmul(a, other, linear=True, activations="int8")
    for acc in ("exact", "fp32_trunc"):
        with pytest.raises(ValueError, match=f"accumulate='fp32' only, got accumulate='{acc}'"):
            hifloat.matmul(a, w, accumulate=acc, linear=True, activations="int8")
    with pytest.raises(ValueError, match="shape mismatch"):
        hifloat.matmul(rng_floats(rng, (2, 71)), w, linear=True, activations="int8")
    with pytest.raises(ValueError, match="axis"):  # W (N, K) layout without linear=True
        hifloat.matmul(rng_floats(rng, (2, 5)), w, activations="int8")
    with pytest.raises(ValueError, match="dense activations"):
        hifloat.matmul(hifloat.encode(a, "hif4", axis=1), w, linear=True, activations="int8")
    with pytest.raises(ValueError, match="unknown activations 'int4'"):
        hifloat.matmul(a, w, linear=True, activations="int4")
    with pytest.raises(TypeError, match="float32"):
        hifloat.matmul(np.ones((2, 70)), w, linear=True, activations="int8")
    with pytest.raises(ValueError, match="threads"):
        hifloat.matmul(a, w, linear=True, threads=-1, activations="int8")


# ---- hifloat.torch.PackedLinear(activations="int8") -----------------------------------------


def test_packed_linear_int8_activations():
    torch = pytest.importorskip("torch")
    import hifloat.torch as ht

    torch.manual_seed(3)
    lin = torch.nn.Linear(150, 12)
    p = ht.PackedLinear.from_linear(lin, "hif4", activations="int8")
    assert ht.PackedLinear.from_linear(lin, "hif4").activations == "float"  # default unchanged
    x = torch.randn(5, 150)
    with torch.no_grad():
        got = p(x)
    bias = lin.bias.detach().numpy()
    want = model_q8(x.numpy(), p.packed()) + bias
    assert got.dtype == torch.float32 and same(got.numpy(), want)
    # bf16 input: the product of the bf16 values, output rounded to bf16.
    xb = torch.randn(2, 3, 150).to(torch.bfloat16)
    with torch.no_grad():
        yb = p(xb)
    ref = torch.from_numpy(model_q8(xb.float().reshape(6, 150).numpy(), p.packed()) + bias)
    assert yb.dtype == torch.bfloat16 and torch.equal(yb, ref.reshape(2, 3, 12).to(torch.bfloat16))
    # The option survives a state_dict round trip; the repr names it.
    fresh = ht.PackedLinear(150, 12, "hif4")
    fresh.load_state_dict(p.state_dict())
    assert fresh.activations == "int8" and "activations='int8'" in repr(fresh)
    with torch.no_grad():
        assert torch.equal(fresh(x), got)
    with pytest.raises(ValueError, match="needs hif4 weights"):
        ht.PackedLinear.from_linear(lin, "nvfp4", activations="int8")
    with pytest.raises(ValueError, match="accumulate='fp32' only"):
        ht.PackedLinear(150, 12, "hif4", accumulate="exact", activations="int8")
    with pytest.raises(ValueError, match="unknown activations"):
        ht.PackedLinear(150, 12, "hif4", activations="q8")
    # A format string given to activations= (instead of activation=) is named as the likely mix-up.
    with pytest.raises(ValueError, match=r"PackedLinear: unknown activations 'hif8' .*pass activation='hif8'"):
        ht.PackedLinear(150, 12, "hif4", activations="hif8")
    with pytest.raises(ValueError, match=r"matmul: unknown activations 'fp8_e4m3' .*activation='fp8_e4m3'"):
        hifloat.matmul(x.numpy(), p.packed(), linear=True, activations="fp8_e4m3")


def test_quantize_model_packed_passes_kernel_options():
    torch = pytest.importorskip("torch")
    import hifloat.torch as ht

    torch.manual_seed(4)
    model = torch.nn.Sequential(torch.nn.Linear(130, 16), torch.nn.ReLU(), torch.nn.Linear(16, 5))
    x = torch.randn(3, 130)
    want_layers = [ht.PackedLinear.from_linear(model[i], "hif4", activations="int8", threads=1) for i in (0, 2)]
    q = ht.quantize_model(model, weight="hif4", activation=None, packed=True, activations="int8", threads=1)
    assert [(m.activations, m.accumulate, m.threads) for m in (q[0], q[2])] == [("int8", "fp32", 1)] * 2
    with torch.no_grad():
        want = want_layers[1](torch.relu(want_layers[0](x)))
        assert torch.equal(q(x), want)
    # accumulate reaches the layers too.
    q2 = ht.quantize_model(torch.nn.Sequential(torch.nn.Linear(64, 4)), weight="hif8", activation=None,
                           packed=True, accumulate="exact")
    assert q2[0].accumulate == "exact"
    # Kernel options without packed=True are an error, not silently ignored.
    with pytest.raises(ValueError, match="need packed=True"):
        ht.quantize_model(torch.nn.Sequential(torch.nn.Linear(64, 4)), weight="hif4", activations="int8")
    with pytest.raises(ValueError, match="needs hif4 weights"):
        ht.quantize_model(torch.nn.Sequential(torch.nn.Linear(64, 4)), weight="hif8", packed=True,
                          activations="int8")


# ---- the C++ CLI: hifloat matmul --activations int8 -----------------------------------------


def _cli() -> pathlib.Path | None:
    for p in (os.environ.get("HIFLOAT_CLI"), REPO / "build" / "release" / "hifloat"):
        if p and pathlib.Path(p).is_file():
            return pathlib.Path(p)
    return None


def test_cli_int8_activations_equal_python(tmp_path):
    cli = _cli()
    if cli is None:
        pytest.skip("the C++ CLI is not built (build/release/hifloat or $HIFLOAT_CLI)")
    if "--activations" not in subprocess.run([str(cli), "matmul", "--help"], capture_output=True, text=True).stdout:
        pytest.skip("this build of the C++ CLI has no matmul --activations yet")
    rng = np.random.default_rng(23)
    m, k, n = 4, 130, 9
    a = rng_floats(rng, (m, k), 3)
    np.save(tmp_path / "a.npy", a)
    w = rng_floats(rng, (n, k), 2)
    hifloat.save(tmp_path / "w.safetensors", {"w": pack(w, True)})
    hifloat.save(tmp_path / "b.safetensors", {"b": pack(w, False)})
    hifloat.save(tmp_path / "nv.safetensors", {"w": hifloat.encode(w, "nvfp4", axis=1)})
    out = tmp_path / "c.npy"

    def run(*args):
        return subprocess.run([str(cli), "matmul", *map(str, args)], capture_output=True, text=True)

    for linear, weights in ((True, "w.safetensors"), (False, "b.safetensors")):
        want = hifloat.matmul(a, hifloat.load(tmp_path / weights)[weights[0]], linear=linear, activations="int8")
        assert same(want, model_q8(a, pack(w, linear)))
        for threads in ("1", "3"):
            r = run(tmp_path / "a.npy", tmp_path / weights, out, *(["--linear"] if linear else []),
                    "--activations", "int8", "--threads", threads)
            assert r.returncode == 0, r.stderr
            assert same(np.load(out), want)
    out.unlink()
    for args, needle in (
        (["nv.safetensors", "--linear"], "needs hif4 weights, got format 'nvfp4'"),
        (["w.safetensors", "--linear", "--accumulate", "exact"], "--accumulate fp32 only, got 'exact'"),
        (["w.safetensors", "--linear", "--activations", "int4"], "unknown --activations 'int4'"),
    ):
        extra = [] if "--activations" in args else ["--activations", "int8"]
        r = run(tmp_path / "a.npy", tmp_path / args[0], out, *args[1:], *extra)
        assert r.returncode != 0 and needle in r.stderr and r.stderr.count("\n") == 1, r.stderr
        assert not out.exists()

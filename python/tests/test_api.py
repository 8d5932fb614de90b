"""fake_quant / encode / decode / Packed / formats on numpy arrays."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import hifloat
from conftest import implemented_formats

try:
    import ml_dtypes

    BF16 = [ml_dtypes.bfloat16]
except ImportError:  # pragma: no cover
    BF16 = []

FLOAT_TYPES = [np.float32, np.float64, np.float16, *BF16]


def deterministic_formats() -> list[str]:
    return [f for f in implemented_formats()]


def sample(shape=(6, 70), seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 4).astype(np.float32)


@pytest.mark.parametrize("fmt", deterministic_formats())
@pytest.mark.parametrize("dtype", FLOAT_TYPES, ids=lambda d: np.dtype(d).name)
def test_fake_quant_keeps_dtype_and_matches_float32_path(fmt, dtype):
    x32 = sample()
    x = x32.astype(dtype)
    y = hifloat.fake_quant(x, fmt)
    assert y.dtype == np.dtype(dtype) and y.shape == x.shape
    if dtype == np.float64:
        return  # hif8 rounds doubles directly; covered below
    # 16-bit inputs widen exactly to float32: same quantised values, rounded back
    ref = hifloat.fake_quant(x.astype(np.float32), fmt).astype(dtype)
    np.testing.assert_array_equal(y.astype(np.float32), ref.astype(np.float32))


def test_float64_hif8_rounds_directly():
    x = np.array([1.0625 - 2.0**-40, 1.0625, 3.3], np.float64)
    np.testing.assert_array_equal(hifloat.fake_quant(x, "hif8"), [1.0, 1.125, 3.25])
    p = hifloat.encode(x, "hif8")
    assert p.dtype == "float64"
    np.testing.assert_array_equal(hifloat.decode(p, np.float64), [1.0, 1.125, 3.25])


@pytest.mark.parametrize("fmt", deterministic_formats())
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2])
def test_axis_means_blocks_along_that_axis(fmt, axis):
    x = sample((5, 33, 7), seed=3)
    y = hifloat.fake_quant(x, fmt, axis)
    moved = hifloat.fake_quant(np.ascontiguousarray(np.moveaxis(x, axis, -1)), fmt, -1)
    np.testing.assert_array_equal(y, np.moveaxis(moved, -1, axis))


@pytest.mark.parametrize("fmt", deterministic_formats())
def test_encode_decode_round_trip(fmt):
    x = sample((3, 4, 65), seed=1)
    for axis in (0, 2, -1):
        p = hifloat.encode(x, fmt, axis)
        assert isinstance(p, hifloat.Packed)
        assert p.shape == x.shape and p.axis == (axis % 3) and p.dtype == "float32"
        assert p.format == str(hifloat.parse_format(fmt))
        assert p.data.dtype == np.uint8 and p.nbytes == p.data.size
        assert p.bits_per_value == pytest.approx(8 * p.nbytes / x.size)
        np.testing.assert_array_equal(hifloat.decode(p), hifloat.fake_quant(x, fmt, axis))
        for dt in FLOAT_TYPES:
            assert hifloat.decode(p, dt).dtype == np.dtype(dt)


def test_hif8_packed_bytes_are_the_dtype_codes():
    x = sample((4, 9))
    p = hifloat.encode(x, "hif8")
    np.testing.assert_array_equal(p.data, x.astype(hifloat.hifloat8).reshape(-1).view(np.uint8))
    assert p.bits_per_value == 8.0


def test_bits_per_value_matches_the_registry_for_whole_blocks():
    for info in hifloat.formats():
        if not info.implemented:
            continue
        x = np.ones((2, 1024), np.float32)
        p = hifloat.encode(x, info.name, -1)
        expr = info.bits_per_value.replace("L", "1024").replace("G", "32")
        assert p.bits_per_value == pytest.approx(eval(expr), abs=0.02), info.name  # "4 + 16/G"; nvfp4 adds 32 bits per tensor


def test_shapes_zero_d_empty_and_non_contiguous():
    for fmt in deterministic_formats():
        s = hifloat.fake_quant(np.float32(3.3), fmt)
        assert s.shape == ()
        e = hifloat.fake_quant(np.zeros((0, 5), np.float32), fmt)
        assert e.shape == (0, 5)
        x = sample((8, 64))
        np.testing.assert_array_equal(hifloat.fake_quant(x[::2, ::3], fmt), hifloat.fake_quant(x[::2, ::3].copy(), fmt))
    big_endian = sample((3, 4)).astype(">f4")
    np.testing.assert_array_equal(hifloat.fake_quant(big_endian, "hif8"), hifloat.fake_quant(big_endian.astype("<f4"), "hif8"))
    assert hifloat.fake_quant([1.0, 2.2], "hif8").tolist() == [1.0, 2.25]


def test_input_is_not_modified_and_output_is_fresh():
    x = sample()
    before = x.copy()
    y = hifloat.fake_quant(x, "hif8")
    np.testing.assert_array_equal(x, before)
    assert not np.shares_memory(x, y) and y.flags.writeable


def test_options_reach_the_codec():
    x = np.array([1.0625, 40000.0, 1.06], np.float32)  # a tie, an overflow, a plain value
    assert hifloat.fake_quant(x, "hif8").tolist() == [1.125, 32768.0, 1.0]
    assert hifloat.fake_quant(x, "hif8:rounding=even").tolist() == [1.0, 32768.0, 1.0]
    assert hifloat.fake_quant(np.float32(50000), "hif8:overflow=saturate") == 32768
    s1 = hifloat.fake_quant(np.full(1000, 1.01, np.float32), "hif8:rounding=stochastic,seed=1")
    s2 = hifloat.fake_quant(np.full(1000, 1.01, np.float32), "hif8:rounding=stochastic,seed=2")
    assert set(np.unique(s1)) <= {1.0, 1.125} and not np.array_equal(s1, s2)


def test_threads_and_concurrent_calls_give_the_same_result():
    x = sample((64, 256))
    want = hifloat.fake_quant(x, "hif8")
    np.testing.assert_array_equal(hifloat.fake_quant(x, "hif8", threads=0), want)
    results = [None] * 4

    def work(i):
        results[i] = hifloat.fake_quant(x, "hif8")

    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, want)


# --- bad arguments -------------------------------------------------------------------------------


def test_unknown_format_is_a_value_error():
    with pytest.raises(ValueError, match="nope"):
        hifloat.fake_quant(sample(), "nope")
    with pytest.raises(ValueError, match="nope"):
        hifloat.encode(sample(), "nope")


def test_bad_option_key_or_value_is_a_value_error():
    with pytest.raises(ValueError, match="overflow"):
        hifloat.fake_quant(sample(), "hif8:overflow=wrap")  # non-finite policy
    with pytest.raises(ValueError, match="colour"):
        hifloat.fake_quant(sample(), "hif8:colour=red")
    with pytest.raises(ValueError, match="seed"):
        hifloat.fake_quant(sample(), "hif8:rounding=stochastic,seed=-1")


def test_bad_axis_is_a_value_error():
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        hifloat.fake_quant(sample(), "hif8", axis=2)
    with pytest.raises(ValueError, match="axis -3"):
        hifloat.encode(sample(), "hif8", axis=-3)
    with pytest.raises(TypeError, match="axis must be an integer"):
        hifloat.fake_quant(sample(), "hif8", axis=1.5)


def test_non_float_input_is_a_type_error():
    for bad in (np.arange(6, dtype=np.int32), np.zeros(3, np.uint8), np.array(["a"]), np.zeros(2, complex)):
        with pytest.raises(TypeError, match="floating-point"):
            hifloat.fake_quant(bad, "hif8")
    with pytest.raises(TypeError, match="floating-point"):
        hifloat.fake_quant(np.zeros(3, hifloat.hifloat8), "hif8")
    with pytest.raises(TypeError, match="format must be a string"):
        hifloat.fake_quant(sample(), 8)
    with pytest.raises(TypeError, match="Packed"):
        hifloat.decode(np.zeros(3, np.uint8))
    with pytest.raises(TypeError, match="floating-point"):
        hifloat.decode(hifloat.encode(sample(), "hif8"), np.int32)


def test_inconsistent_packed_is_a_value_error():
    p = hifloat.encode(sample((2, 8)), "hif8")
    bad = hifloat.Packed(p.data[:-1], p.format, p.shape, p.axis)
    with pytest.raises(ValueError, match="has 15 bytes, its shape needs 16"):
        hifloat.decode(bad)
    with pytest.raises(ValueError, match="axis"):
        hifloat.decode(hifloat.Packed(p.data, "hif8", p.shape, 5))
    with pytest.raises(TypeError):
        hifloat.Packed(np.zeros(4, np.float32), "hif8", (4,), 0)
    with pytest.raises(ValueError):
        hifloat.Packed(p.data, "hif9", p.shape, 0)


def test_not_yet_implemented_formats_say_so():
    missing = [f.name for f in hifloat.formats() if not f.implemented]
    for name in missing:
        with pytest.raises(ValueError, match="not implemented yet"):
            hifloat.fake_quant(sample(), name)


# --- formats and format strings ------------------------------------------------------------------


def test_formats_lists_the_registry():
    infos = hifloat.formats()
    names = [f.name for f in infos]
    for expected in ("hif8", "hif4", "nvfp4", "mxfp4", "fp8_e4m3", "int8", "int4"):
        assert expected in names
    hif4 = infos[names.index("hif4")]
    assert "hifx4" in hif4.aliases and hif4.bits_per_value == "4.5"
    assert {o.key for o in hif4.options} == {"rounding", "seed"}
    assert infos[names.index("hif8")].implemented


def test_parse_format():
    spec = hifloat.parse_format("hifx4:seed=3,rounding=stochastic")
    assert spec.name == "hif4" and spec.options == {"rounding": "stochastic", "seed": "3"}
    assert str(spec) == "hif4:rounding=stochastic,seed=3"
    assert hifloat.parse_format("hif4") == hifloat.parse_format("hifx4:rounding=away")
    with pytest.raises(ValueError, match="repeated|twice|more than once|duplicate"):
        hifloat.parse_format("hif8:rounding=even,rounding=away")
    with pytest.raises(TypeError):
        hifloat.parse_format(None)


def test_packed_pickles():
    import pickle

    p = hifloat.encode(sample(), "hif8", 0)
    q = pickle.loads(pickle.dumps(p))
    assert q == p and q is not p
    assert "hif8" in repr(p)

"""The hifloat8 numpy dtype: codes, casts, comparisons, printing, pickling, finfo.

Expected values come from spec/HIF8.md: its complete decode table (§1.7) is
parsed from the spec text, and rounding is checked against an exact
nearest-value search over that table in float64 (ties away from zero,
overflow to Inf) -- neither uses the library's own code.
"""

from __future__ import annotations

import pickle
import re

import numpy as np
import pytest

import hifloat
from conftest import shared_dir

H = hifloat.hifloat8


def spec_decode_table() -> np.ndarray:
    """The 256 code values from HIF8.md §1.7 (code | 0x80 negates; 0x80 is NaN)."""
    text = (shared_dir() / "spec" / "HIF8.md").read_text()
    section = text[text.index("### 1.7") :]
    values = {}
    for line in section.splitlines()[3:]:
        m = re.match(r"\| 0x([0-7])_ \|(.*)\|\s*$", line)
        if not m:
            if values:
                break
            continue
        cells = [c.strip() for c in m.group(2).split("|")]
        assert len(cells) == 16, line
        for lo, cell in enumerate(cells):
            values[int(m.group(1)) * 16 + lo] = parse_cell(cell)
    assert len(values) == 128
    table = np.empty(256, np.float64)
    for c in range(128):
        table[c] = values[c]
        table[c | 0x80] = -values[c]
    table[0x80] = np.nan
    return table


def parse_cell(cell: str) -> float:
    if cell == "+Inf":
        return np.inf
    m = re.fullmatch(r"(?:([0-9.]+)·)?2\^(-?\d+)", cell)
    if m:
        return float(m.group(1) or 1.0) * 2.0 ** int(m.group(2))
    return float(cell)


TABLE = spec_decode_table()
FINITE = np.unique(np.abs(TABLE[np.isfinite(TABLE)]))  # 0 and the 126 + 1 positive magnitudes


def ref_round(x: float) -> float:
    """Nearest HiF8 value of x, ties away from zero; overflow to Inf.

    The Inf pattern 0x6F sits where 1.5 * 2^15 = 49152 would be (HIF8.md §1.6),
    so the overflow threshold is the midpoint 40960, a tie that goes away.
    """
    if np.isnan(x):
        return np.nan
    a = abs(x)
    grid = np.append(FINITE, 49152.0)
    i = int(np.searchsorted(grid, a))
    if i == 0:
        r = grid[0]
    elif i == len(grid):
        r = np.inf
    else:
        lo, hi = grid[i - 1], grid[i]
        r = hi if a - lo >= hi - a else lo
    if r == 49152.0:
        r = np.inf
    return float(np.copysign(r, x)) if r != 0 else 0.0


def test_spec_table_sanity():
    assert TABLE[0x08] == 1.0 and TABLE[0x6E] == 32768.0 and TABLE[0x01] == 2.0**-22
    assert np.isinf(TABLE[0x6F]) and np.isnan(TABLE[0x80])


def test_all_256_codes_decode_as_the_spec_table():
    codes = np.arange(256, dtype=np.uint8).view(H)
    got = codes.astype(np.float64)
    np.testing.assert_array_equal(got, TABLE)  # NaN positions match
    for c in range(256):
        v = float(H.from_bits(c))
        assert (np.isnan(v) and np.isnan(TABLE[c])) or v == TABLE[c], hex(c)


def test_all_256_codes_round_trip_through_every_float_type():
    codes = np.arange(256, dtype=np.uint8)
    for dt in (np.float16, np.float32, np.float64):
        back = codes.view(H).astype(dt).astype(H).view(np.uint8)
        np.testing.assert_array_equal(back, codes, err_msg=str(dt))
    for c in range(256):
        s = H.from_bits(c)
        assert H(float(s)).bits == c
        assert s.bits == c


def test_bfloat16_casts_when_ml_dtypes_is_installed():
    ml_dtypes = pytest.importorskip("ml_dtypes", reason="ml_dtypes is not installed")
    codes = np.arange(256, dtype=np.uint8)
    bf = codes.view(H).astype(ml_dtypes.bfloat16)
    np.testing.assert_array_equal(bf.astype(np.float64), TABLE)
    np.testing.assert_array_equal(bf.astype(H).view(np.uint8), codes)
    # every bfloat16 value: cast equals the float32 path (bf16 -> f32 is exact)
    allbf = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(ml_dtypes.bfloat16)
    np.testing.assert_array_equal(
        allbf.astype(H).view(np.uint8), allbf.astype(np.float32).astype(H).view(np.uint8)
    )


def _all_float16() -> np.ndarray:
    return np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)


def test_every_float16_rounds_like_the_exact_reference():
    x = _all_float16()
    got = x.astype(H).astype(np.float64)
    want = np.array([ref_round(float(v)) for v in x.astype(np.float64)])
    np.testing.assert_array_equal(got, want)


def test_float32_casts_agree_with_the_reference_and_the_cpp_codec():
    rng = np.random.default_rng(5)
    x = np.concatenate(
        [
            rng.standard_normal(20000).astype(np.float32) * np.float32(2.0) ** rng.integers(-26, 18, 20000),
            (FINITE[1:-1] + np.diff(FINITE[1:]) / 2).astype(np.float32),  # every midpoint (ties)
            np.array([40960, 40959.996, 49152, 2.0**-23, 2.0**-23 * 0.999, np.inf, -np.inf, np.nan], np.float32),
        ]
    )
    got = x.astype(H).astype(np.float64)
    want = np.array([ref_round(float(v)) for v in x.astype(np.float64)])
    np.testing.assert_array_equal(got, want)
    # the dtype cast and the library's hif8 codec (default options) are the same function
    np.testing.assert_array_equal(got, hifloat.fake_quant(x, "hif8").astype(np.float64))


def test_float64_cast_rounds_the_double_directly():
    # just below the 1.0/1.125 midpoint: float32 would first round it onto the tie
    x = np.array([1.0625 - 2.0**-40, -(1.0625 - 2.0**-40)], np.float64)
    assert x.astype(H).astype(np.float64).tolist() == [1.0, -1.0]
    assert ref_round(float(x[0])) == 1.0


def test_integer_and_bool_casts():
    assert np.array([0, 1, 3, 100, -7], np.int32).astype(H).astype(np.float32).tolist() == [0, 1, 3, 96, -7]
    assert np.array([True, False]).astype(H).astype(np.float32).tolist() == [1.0, 0.0]
    # NaN and Inf into integers: defined results, no crash
    special = np.array([np.nan, np.inf, -np.inf, 2.5], np.float32).astype(H)
    assert special.astype(np.int64).tolist()[3] == 2
    assert special.astype(bool).tolist() == [True, True, True, True]


def test_array_construction_and_scalars():
    a = np.array([1.0, 3.3, 1e6, -0.0, float("nan")], dtype=H)
    assert a.dtype == np.dtype("hifloat8") == np.dtype(H)
    assert a.itemsize == 1
    assert a.view(np.uint8).tolist() == [0x08, 0x15, 0x6F, 0x00, 0x80]
    assert isinstance(a[1], H)
    assert float(a[1]) == 3.25
    assert H("3.3").bits == 0x15
    assert H(np.float16(2.5)) == H(2.5)
    assert int(H(7.7)) == 7
    with pytest.raises(TypeError):
        H(object())
    with pytest.raises(ValueError):
        H.from_bits(256)


def test_comparisons_match_float_comparisons_for_all_pairs():
    codes = np.arange(256, dtype=np.uint8).view(H)
    a, b = np.meshgrid(codes, codes)
    fa, fb = np.meshgrid(TABLE, TABLE)
    with np.errstate(invalid="ignore"):
        for op in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
            np.testing.assert_array_equal(getattr(a, op)(b), getattr(fa, op)(fb), err_msg=op)
    assert H(1.0) < H(2.0) and H(2.0) == H(2.0) and not (H.from_bits(0x80) == H.from_bits(0x80))


def test_ufuncs():
    a = np.array([1.0, -2.5, float("nan"), float("inf"), 0.0], dtype=H)
    np.testing.assert_array_equal(np.isnan(a), [False, False, True, False, False])
    np.testing.assert_array_equal(np.isinf(a), [False, False, False, True, False])
    np.testing.assert_array_equal(np.isfinite(a), [True, True, False, False, True])
    np.testing.assert_array_equal(np.signbit(a), [False, True, False, False, False])
    assert (-a)[1] == H(2.5) and abs(a)[1] == H(2.5)
    b = np.array([1.0, 3.3], dtype=H)
    assert (b + b).tolist() == [2.0, 6.5]
    assert (b * b).dtype == H and float((b * b)[1]) == ref_round(3.25 * 3.25)
    assert np.sort(np.array([3, -1, float("nan"), 2], dtype=H)).astype(np.float32).tolist()[:3] == [-1, 2, 3]
    assert int(np.argmax(np.array([1, 7, 3], dtype=H))) == 1
    assert float(np.max(np.array([1, 7, 3], dtype=H))) == 7.0


def test_printing():
    a = np.array([1.0, 3.3, -7.7, 60000.0, float("nan"), 2.0**-22], dtype=H)
    assert repr(a) == "array([1, 3.25, -7.5, inf, nan, 2.384185791015625e-07], dtype=hifloat8)"
    assert str(np.array([0.5, 2], dtype=H)) == "[0.5 2]"
    assert repr(H(3.3)) == "3.25" and str(H(32768)) == "32768"
    assert f"{H(3.3):.1f}" == "3.2"
    assert np.dtype(H).name == "hifloat8"


def test_pickling_arrays_scalars_and_dtype():
    a = np.arange(256, dtype=np.uint8).view(H).reshape(16, 16)
    b = pickle.loads(pickle.dumps(a))
    assert b.dtype == H
    np.testing.assert_array_equal(b.view(np.uint8), a.view(np.uint8))
    for c in (0x00, 0x15, 0x80, 0xEF, 0x01):
        s = pickle.loads(pickle.dumps(H.from_bits(c)))
        assert isinstance(s, H) and s.bits == c
    assert pickle.loads(pickle.dumps(np.dtype(H))) == np.dtype(H)


def test_finfo():
    fi = hifloat.finfo(hifloat.hifloat8)
    assert hifloat.finfo(np.dtype("hifloat8")) is fi
    assert float(fi.max) == 32768.0 and float(fi.min) == -32768.0
    assert float(fi.eps) == 0.125 and float(fi.epsneg) == 0.0625
    assert float(fi.smallest_subnormal) == 2.0**-22 == FINITE[1]
    assert float(fi.smallest_normal) == 2.0**-15
    assert fi.bits == 8 and fi.dtype == np.dtype(H)
    # eps is the gap above 1 and epsneg the gap below it in the spec table
    assert FINITE[np.searchsorted(FINITE, 1.0) + 1] - 1.0 == float(fi.eps)
    assert 1.0 - FINITE[np.searchsorted(FINITE, 1.0) - 1] == float(fi.epsneg)
    assert "hifloat8" in repr(fi) and "eps" in str(fi)
    assert hifloat.finfo(np.float32).bits == 32

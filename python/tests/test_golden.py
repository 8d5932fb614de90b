"""Every golden vector of ../shared/golden reproduced through hifloat.fake_quant.

Cases whose format the C++ library does not implement yet are skipped with
that reason (visible in pytest -rs output); all others must match bit for bit,
except that +0 == -0 and NaN == NaN (spec/README.md "Golden vectors").
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import hifloat
from conftest import require_codec, shared_dir


def golden_cases():
    manifest_path = shared_dir() / "golden" / "manifest.json"
    if not manifest_path.exists():
        return [pytest.param(None, None, None, None, marks=pytest.mark.skip(reason=f"{manifest_path} not found"))]
    manifest = json.loads(manifest_path.read_text())
    cases = []
    for case, entry in manifest["cases"].items():
        for out in entry["outputs"]:
            axis = -1 if out["axis"] is None else out["axis"]
            cases.append(pytest.param(case, out["format"], axis, out["file"], id=f"{case}-{out['file']}"))
    return cases


def assert_golden_equal(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert got.dtype == np.float32 and got.shape == want.shape, what
    nan_got, nan_want = np.isnan(got), np.isnan(want)
    assert np.array_equal(nan_got, nan_want), f"{what}: NaN positions differ"
    g = got.view(np.uint32) & np.uint32(0x7FFFFFFF)  # +0 == -0: compare magnitudes' bits ...
    w = want.view(np.uint32) & np.uint32(0x7FFFFFFF)
    same_sign = np.signbit(got) == np.signbit(want)  # ... and signs except on zeros
    ok = nan_got | ((g == w) & (same_sign | (g == 0)))
    if not ok.all():
        i = np.argwhere(~ok)[0]
        raise AssertionError(
            f"{what}: {int((~ok).sum())} elements differ; first at {tuple(i)}: got {got[tuple(i)]!r}, "
            f"expected {want[tuple(i)]!r}"
        )


@pytest.mark.parametrize("case,fmt,axis,file", golden_cases())
def test_golden_vector(case, fmt, axis, file):
    require_codec(fmt)
    golden = shared_dir() / "golden"
    x = np.load(golden / f"{case}.x.npy")
    want = np.load(golden / file)
    assert x.dtype == np.float32
    assert_golden_equal(hifloat.fake_quant(x, fmt, axis), want, f"{case} {fmt} axis={axis}")
    # the same result through encode/decode and through a non-contiguous view
    assert_golden_equal(hifloat.decode(hifloat.encode(x, fmt, axis)), want, f"{case} {fmt} encode/decode")
    xt = np.asfortranarray(x)
    assert_golden_equal(hifloat.fake_quant(xt, fmt, axis), want, f"{case} {fmt} Fortran-order input")


def test_manifest_covers_every_golden_file():
    golden = shared_dir() / "golden"
    manifest = json.loads((golden / "manifest.json").read_text())
    listed = {o["file"] for e in manifest["cases"].values() for o in e["outputs"]}
    listed |= {f"{c}.x.npy" for c in manifest["cases"]}
    on_disk = {p.name for p in golden.glob("*.npy")}
    assert on_disk == listed

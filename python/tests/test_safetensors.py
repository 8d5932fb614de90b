"""hifloat.save / hifloat.load and the packed-tensor convention of docs/formats.md."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

import hifloat
from conftest import REPO, implemented_formats

safetensors = pytest.importorskip("safetensors", reason="the safetensors package is not installed")
from safetensors import safe_open  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402


def sample(shape=(8, 96)):
    return (np.random.default_rng(2).standard_normal(shape) * 3).astype(np.float32)


def test_round_trip_packed_and_plain(tmp_path):
    path = tmp_path / "m.safetensors"
    x = sample()
    tensors = {f"w_{f}": hifloat.encode(x, f, 0) for f in implemented_formats()}
    tensors["bias"] = np.arange(5, dtype=np.float16)
    tensors["codes"] = x.astype(hifloat.hifloat8)
    hifloat.save(path, tensors, metadata={"note": "test"})
    back = hifloat.load(path)
    assert set(back) == set(tensors)
    for f in implemented_formats():
        assert back[f"w_{f}"] == tensors[f"w_{f}"]
        np.testing.assert_array_equal(hifloat.decode(back[f"w_{f}"]), hifloat.fake_quant(x, f, 0))
    np.testing.assert_array_equal(back["bias"], tensors["bias"])
    assert back["bias"].dtype == np.float16
    # a hifloat8 array is stored as a packed hif8 tensor
    assert isinstance(back["codes"], hifloat.Packed) and back["codes"].format == "hif8"
    np.testing.assert_array_equal(hifloat.decode(back["codes"]), x.astype(hifloat.hifloat8).astype(np.float32))


def test_file_layout_follows_docs_formats_md(tmp_path):
    path = tmp_path / "p.safetensors"
    x = sample((512, 96)).astype(np.float16)
    hifloat.save(path, {"w": hifloat.encode(x, "hif8:rounding=even", 1)})
    with safe_open(str(path), framework="numpy") as f:
        meta = f.metadata()
        t = f.get_tensor("w")
    assert meta["hifloat.version"] == "1"
    assert meta["hifloat:w"] == '{"format":"hif8:rounding=even","shape":[512,96],"axis":1,"dtype":"F16"}'
    assert t.dtype == np.uint8 and t.shape == (512 * 96,)
    # hif8's packed layout is one code per element in C order
    want = hifloat.fake_quant(x.astype(np.float32), "hif8:rounding=even").reshape(-1)
    np.testing.assert_array_equal(t.view(hifloat.hifloat8).astype(np.float32), want)


def test_reads_files_written_by_plain_safetensors(tmp_path):
    """A file made with safetensors.numpy alone, following the documented convention."""
    x = sample((4, 10))
    codes = x.astype(hifloat.hifloat8).reshape(-1).view(np.uint8)
    path = tmp_path / "other.safetensors"
    record = json.dumps({"format": "hif8", "shape": [4, 10], "axis": 1, "dtype": "BF16"}, separators=(",", ":"))
    save_file({"q": codes, "plain": x}, str(path), metadata={"hifloat.version": "1", "hifloat:q": record})
    back = hifloat.load(path)
    assert back["q"].dtype == "bfloat16" and back["q"].shape == (4, 10)
    np.testing.assert_array_equal(hifloat.decode(back["q"]), x.astype(hifloat.hifloat8).astype(np.float32))
    np.testing.assert_array_equal(back["plain"], x)


@pytest.mark.parametrize(
    "meta,match",
    [
        ({"hifloat:q": '{"format":"hif8","shape":[40],"axis":0,"dtype":"F32"}'}, "hifloat.version"),
        ({"hifloat.version": "2", "hifloat:q": '{"format":"hif8","shape":[40],"axis":0,"dtype":"F32"}'}, "version"),
        ({"hifloat.version": "1", "hifloat:q": "not json"}, "not valid"),
        ({"hifloat.version": "1", "hifloat:q": '{"format":"hif8","shape":[40],"axis":0}'}, "not valid"),
        ({"hifloat.version": "1", "hifloat:q": '{"format":"bogus","shape":[40],"axis":0,"dtype":"F32"}'}, "bogus"),
        ({"hifloat.version": "1", "hifloat:missing": '{"format":"hif8","shape":[1],"axis":0,"dtype":"F32"}'},
         "lacks"),
    ],
)
def test_malformed_metadata_is_a_value_error(tmp_path, meta, match):
    path = tmp_path / "bad.safetensors"
    save_file({"q": np.zeros(40, np.uint8)}, str(path), metadata=meta)
    with pytest.raises(ValueError, match=match):
        hifloat.load(path)


def test_wrong_byte_count_is_caught_at_decode(tmp_path):
    path = tmp_path / "short.safetensors"
    record = '{"format":"hif8","shape":[41],"axis":0,"dtype":"F32"}'
    save_file({"q": np.zeros(40, np.uint8)}, str(path), metadata={"hifloat.version": "1", "hifloat:q": record})
    with pytest.raises(ValueError, match="has 40 bytes, its shape needs 41"):
        hifloat.decode(hifloat.load(path)["q"])


def test_not_a_safetensors_file(tmp_path):
    path = tmp_path / "junk.safetensors"
    path.write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00{junk")
    with pytest.raises(ValueError):
        hifloat.load(path)
    with pytest.raises(OSError):
        hifloat.load(tmp_path / "absent.safetensors")


def _cli() -> pathlib.Path | None:
    for p in (os.environ.get("HIFLOAT_CLI"), REPO / "build" / "release" / "hifloat"):
        if p and pathlib.Path(p).is_file():
            return pathlib.Path(p)
    return None


def test_interoperates_with_the_cpp_cli(tmp_path):
    cli = _cli()
    if cli is None:
        pytest.skip("the C++ CLI is not built (build/release/hifloat or $HIFLOAT_CLI)")
    help_text = subprocess.run([str(cli), "decode", "--help"], capture_output=True, text=True).stdout
    if "safetensors" not in help_text:
        pytest.skip("this build of the C++ CLI has no safetensors support yet")
    x = sample((16, 70))
    src = tmp_path / "x.npy"
    np.save(src, x)
    for fmt in implemented_formats():
        # CLI writes, Python reads
        st = tmp_path / f"{fmt}.safetensors"
        subprocess.run([str(cli), "encode", fmt, str(src), str(st), "--axis", "0"], check=True)
        p = hifloat.load(st)["x"]
        assert p == hifloat.encode(x, fmt, 0)
        # Python writes, CLI reads
        st2 = tmp_path / f"{fmt}.py.safetensors"
        out = tmp_path / f"{fmt}.npy"
        hifloat.save(st2, {"x": hifloat.encode(x, fmt, 0)})
        subprocess.run([str(cli), "decode", str(st2), str(out)], check=True)
        np.testing.assert_array_equal(np.load(out), hifloat.fake_quant(x, fmt, 0))

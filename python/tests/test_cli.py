"""python -m hifloat mirrors the C++ command line."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import hifloat
from hifloat.__main__ import main


def test_formats_and_table(capsys):
    assert main(["formats"]) == 0
    out = capsys.readouterr().out
    assert "hif8" in out and "nvfp4" in out and "tensor_scale=on|off" in out
    assert main(["table", "hif8"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 257 and lines[1] == "0x00  0.0" and "0xEF  -inf" in lines and "0x80  nan" in lines
    assert "0x6E  32768.0" in lines


def test_fake_quant_encode_decode(tmp_path):
    x = (np.random.default_rng(0).standard_normal((5, 40)) * 3).astype(np.float16)
    src, fq, codes, dec = (tmp_path / n for n in ("x.npy", "fq.npy", "c.npy", "d.npy"))
    np.save(src, x)
    assert main(["fake-quant", "hif8", str(src), str(fq), "--axis", "0"]) == 0
    np.testing.assert_array_equal(np.load(fq), hifloat.fake_quant(x, "hif8").astype(np.float32))
    assert np.load(fq).dtype == np.float32
    assert main(["encode", "hif8", str(src), str(codes)]) == 0
    np.testing.assert_array_equal(np.load(codes), x.astype(hifloat.hifloat8).view(np.uint8))
    assert main(["decode", "hif8", str(codes), str(dec)]) == 0
    np.testing.assert_array_equal(np.load(dec), np.load(fq))
    st = tmp_path / "x.safetensors"
    assert main(["encode", "hif8:rounding=even", str(src), str(st)]) == 0
    assert main(["decode", str(st), str(dec)]) == 0
    np.testing.assert_array_equal(np.load(dec), hifloat.fake_quant(x, "hif8:rounding=even").astype(np.float32))


def test_errors_are_one_line_and_exit_1(tmp_path, capsys):
    src = tmp_path / "i.npy"
    np.save(src, np.arange(4, dtype=np.int32))
    out = tmp_path / "o.npy"
    assert main(["fake-quant", "hif8", str(src), str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("hifloat: error:") and "int32" in err and err.count("\n") == 1
    assert not out.exists()
    np.save(src, np.ones(4, np.float32))
    assert main(["fake-quant", "nope", str(src), str(out)]) == 1
    assert "nope" in capsys.readouterr().err and not out.exists()
    assert main(["table", "hif4"]) == 1


def test_runs_as_a_module():
    r = subprocess.run([sys.executable, "-m", "hifloat", "formats"], capture_output=True, text=True)
    assert r.returncode == 0 and "hif8" in r.stdout
    r = subprocess.run([sys.executable, "-m", "hifloat", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "fake-quant" in r.stdout


def test_main_rejects_bad_usage():
    with pytest.raises(SystemExit):
        main(["fake-quant"])

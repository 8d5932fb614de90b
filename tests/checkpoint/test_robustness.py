"""Malformed checkpoints give one clear error naming the file (and tensor);
an interrupted quantize never leaves a half-written output."""
import os
import signal
import struct
import subprocess
import time

import numpy as np
import pytest

from conftest import cli_path, run, write_arrays, write_raw_safetensors

GOOD = np.arange(8, dtype=np.float32).tobytes()


def bad_files(d):
    """name -> (path, tensor the message must name or None)."""
    out = {}

    def raw(name, header, data, tensor=None):
        p = d / f"{name}.safetensors"
        write_raw_safetensors(p, header, data)
        out[name] = (p, tensor)

    ok = {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}
    raw("overlap", {"w1": ok, "w2": {"dtype": "F32", "shape": [4], "data_offsets": [16, 32]}}, GOOD, "w2")
    raw("out_of_range", {"w": {"dtype": "F32", "shape": [16], "data_offsets": [0, 64]}}, GOOD, "w")
    raw("unknown_dtype", {"w": {"dtype": "F7", "shape": [8], "data_offsets": [0, 32]}}, GOOD, "w")
    raw("shape_mismatch", {"w": {"dtype": "F32", "shape": [3, 3], "data_offsets": [0, 32]}}, GOOD, "w")
    p = d / "bad_json.safetensors"
    p.write_bytes(struct.pack("<Q", 16) + b'{"w": {"dtype": ' + GOOD)
    out["bad_json"] = (p, None)
    p = d / "header_too_long.safetensors"
    p.write_bytes(struct.pack("<Q", 1 << 20) + b"{}")
    out["header_too_long"] = (p, None)
    p = d / "truncated.safetensors"
    write_arrays(p, [("w", np.ones((64, 64), np.float32))])
    p.write_bytes(p.read_bytes()[:-100])
    out["truncated"] = (p, None)
    p = d / "empty.safetensors"
    p.write_bytes(b"")
    out["empty"] = (p, None)
    return out


@pytest.mark.parametrize("case", ["overlap", "out_of_range", "unknown_dtype", "shape_mismatch", "bad_json",
                                  "header_too_long", "truncated", "empty"])
@pytest.mark.parametrize("command", ["compare", "quantize", "info", "dequantize"])
def test_malformed_file_is_a_clear_error(tmp_path, case, command):
    path, tensor = bad_files(tmp_path)[case]
    out = tmp_path / "out.safetensors"
    args = {"compare": ["compare", path, "--formats", "hif8"], "quantize": ["quantize", path, out, "--format", "hif8"],
            "info": ["info", path], "dequantize": ["dequantize", path, out]}[command]
    r = run(*args, check=False)
    assert r.returncode == 1, r
    assert r.stderr.startswith("hifloat: error: ") and r.stderr.count("\n") == 1, r.stderr
    assert str(path) in r.stderr
    if tensor:
        assert f"'{tensor}'" in r.stderr or f'"{tensor}"' in r.stderr or tensor in r.stderr.split(":")[2], r.stderr
    assert not out.exists()
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p, _ in bad_files(tmp_path).values())


def test_non_float_dtypes_are_copied_and_reported(tmp_path):
    src = tmp_path / "m.safetensors"
    i32 = np.arange(6, dtype=np.int32).reshape(2, 3)
    f64 = np.linspace(0, 1, 5)
    write_arrays(src, [("i", i32), ("d", f64), ("w", np.ones((2, 32), np.float32))])
    r = run("quantize", src, tmp_path / "q.safetensors", "--format", "hif8")
    assert "skipped i (dtype I32 not quantized)" in r.stdout and "skipped d (dtype F64 not quantized)" in r.stdout
    from safetensors.numpy import load_file

    q = load_file(str(tmp_path / "q.safetensors"))
    np.testing.assert_array_equal(q["i"], i32)
    np.testing.assert_array_equal(q["d"], f64)


def test_bad_options_are_clear_errors(tmp_path):
    src = tmp_path / "m.safetensors"
    write_arrays(src, [("w", np.ones((2, 32), np.float32))])
    for args, expect in [(["compare", src, "--formats", "nope"], "nope"),
                         (["compare", src, "--axis", "x"], "axis"),
                         (["compare", src, "--include", "("], "--include"),
                         (["quantize", src, tmp_path / "o.safetensors"], "--format"),
                         (["compare", tmp_path / "missing.safetensors"], "missing.safetensors"),
                         (["compare", src, "--axis", "3", "--formats", "hif8"], "'w'")]:
        r = run(*args, check=False)
        assert r.returncode == 1 and expect in r.stderr, (args, r.stderr)
    assert not (tmp_path / "o.safetensors").exists()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_interrupted_quantize_leaves_no_output(tmp_path, sig):
    src = tmp_path / "big.safetensors"
    rng = np.random.default_rng(0)
    block = rng.standard_normal((512, 1024)).astype(np.float32)  # 2 MiB
    write_arrays(src, [(f"layer.{i}.weight", block) for i in range(24)])  # 48 MiB
    out = tmp_path / "out.safetensors"
    p = subprocess.Popen([cli_path(), "quantize", str(src), str(out), "--format", "hif8"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    # The temporary output appears as soon as the header is written; interrupt then.
    while time.time() < deadline and not any(n.startswith("out.safetensors.tmp") for n in os.listdir(tmp_path)):
        time.sleep(0.001)
    p.send_signal(sig)
    rc = p.wait()
    try:
        assert rc == -sig, f"the run finished (rc {rc}) before it could be interrupted"
        assert not out.exists()
        left = sorted(os.listdir(tmp_path))
        if sig == signal.SIGINT:
            assert left == ["big.safetensors"]  # the temporary file is removed too
    finally:
        src.unlink()

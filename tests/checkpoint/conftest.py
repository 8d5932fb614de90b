"""Fixtures for the checkpoint tool tests: the CLI, a small safetensors writer
independent of hifloat, and the formats the CLI implements."""
import json
import os
import pathlib
import struct
import subprocess

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Formats the tests exercise when the CLI implements them (others are skipped).
CANDIDATE_FORMATS = ["hif8", "hif8:rounding=even", "hif4", "nvfp4", "mxfp4", "int4", "fp8_e4m3", "int8"]


def cli_path():
    p = os.environ.get("HIFLOAT_CLI", str(ROOT / "build" / "release" / "hifloat"))
    if not os.path.exists(p):
        pytest.skip(f"hifloat CLI not built at {p} (set HIFLOAT_CLI)")
    return p


def run(*args, check=True, env=None):
    r = subprocess.run([cli_path(), *map(str, args)], capture_output=True, text=True, env=env)
    if check and r.returncode != 0:
        raise AssertionError(f"hifloat {' '.join(map(str, args))} failed ({r.returncode}): {r.stderr}")
    return r


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, dtype string, shape, raw bytes), stored in that order."""
    header, offset, blobs = {}, 0, []
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    if metadata:
        header["__metadata__"] = metadata
    write_raw_safetensors(path, header, b"".join(blobs))


def write_raw_safetensors(path, header, data):
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def st_dtype(a):
    import ml_dtypes

    if a.dtype == ml_dtypes.bfloat16:
        return "BF16"
    return {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16", np.dtype(np.int64): "I64",
            np.dtype(np.int32): "I32", np.dtype(np.bool_): "BOOL", np.dtype(np.float64): "F64"}[a.dtype]


def write_arrays(path, arrays, metadata=None):
    write_safetensors(path, [(n, st_dtype(a), a.shape, np.ascontiguousarray(a).tobytes()) for n, a in arrays],
                      metadata)


def fake_quant(tmp_path, fmt, x, axis):
    """The reference: `hifloat fake-quant` on a float32 .npy of the tensor."""
    src, dst = tmp_path / "fq_in.npy", tmp_path / "fq_out.npy"
    np.save(src, x.astype(np.float32))
    run("fake-quant", fmt, src, dst, "--axis", axis)
    return np.load(dst)


@pytest.fixture(scope="session")
def formats(tmp_path_factory):
    d = tmp_path_factory.mktemp("probe")
    np.save(d / "x.npy", np.ones((2, 64), np.float32))
    have = [f for f in CANDIDATE_FORMATS if run("fake-quant", f, d / "x.npy", d / "y.npy", check=False).returncode == 0]
    assert "hif8" in have
    return have

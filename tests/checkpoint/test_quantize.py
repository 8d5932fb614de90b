"""`hifloat quantize` / `dequantize` / `info`: round trips equal fake-quant bit
for bit, files are readable by the `safetensors` package, recipes choose
formats per tensor, untouched tensors are copied byte for byte."""
import json

import ml_dtypes
import numpy as np
import pytest
from safetensors import safe_open

from conftest import fake_quant, run, write_arrays


def model(path):
    rng = np.random.default_rng(3)
    arrays = [
        ("embed_tokens.weight", rng.standard_normal((40, 64)).astype(np.float32)),
        ("layers.0.self_attn.q_proj.weight", rng.standard_normal((64, 64)).astype(np.float32)),
        ("layers.0.mlp.down_proj.weight", (rng.standard_normal((32, 128)) * 0.02).astype(ml_dtypes.bfloat16)),
        ("layers.0.mlp.up_proj.weight", rng.standard_normal((128, 32)).astype(np.float16)),
        ("layers.0.input_layernorm.weight", (1 + 0.1 * rng.standard_normal(64)).astype(np.float32)),
        ("lm_head.weight", rng.standard_normal((40, 64)).astype(np.float32)),
        ("position_ids", np.arange(12, dtype=np.int64).reshape(1, 12)),
        ("flags", np.array([True, False])),
    ]
    write_arrays(path, arrays, {"format": "pt"})
    return dict(arrays)


def bits(a):
    return np.ascontiguousarray(a).view(np.uint8)


@pytest.mark.parametrize("axis", ["last", "0"])
def test_quantize_dequantize_equals_fake_quant(tmp_path, formats, axis):
    src = tmp_path / "m.safetensors"
    arrays = model(src)
    for fmt in formats:
        q, d, k = tmp_path / "q.safetensors", tmp_path / "d.safetensors", tmp_path / "k.safetensors"
        run("quantize", src, q, "--format", fmt, "--axis", axis)
        run("dequantize", q, d)
        run("dequantize", q, k, "--keep-dtype")
        with safe_open(str(q), "numpy") as fq, safe_open(str(d), "numpy") as fd, safe_open(str(k), "numpy") as fk:
            meta = fq.metadata()
            assert meta["format"] == "pt" and meta["hifloat.version"] == "1"
            assert "hifloat.version" not in (fd.metadata() or {})
            for name, a in arrays.items():
                if a.dtype.kind in "ib":
                    assert f"hifloat:{name}" not in meta
                    for f in (fq, fd, fk):
                        np.testing.assert_array_equal(f.get_tensor(name), a)
                    continue
                m = json.loads(meta[f"hifloat:{name}"])
                ax = a.ndim - 1 if axis == "last" else 0
                assert m["shape"] == list(a.shape) and m["axis"] == ax
                assert m["dtype"] == {"float32": "F32", "float16": "F16", "bfloat16": "BF16"}[a.dtype.name]
                assert fq.get_slice(name).get_dtype() == "U8"
                ref = fake_quant(tmp_path, fmt, a.astype(np.float32), ax)
                got = fd.get_tensor(name)
                assert got.dtype == np.float32 and got.shape == a.shape
                assert np.array_equal(bits(got), bits(ref)), (fmt, name)
                if a.dtype != ml_dtypes.bfloat16:  # numpy's safetensors cannot hold bf16
                    kept = fk.get_tensor(name)
                    assert kept.dtype == a.dtype
                    assert np.array_equal(bits(kept), bits(ref.astype(a.dtype))), (fmt, name)


def test_keep_dtype_quantize_writes_fake_quant_values(tmp_path):
    src = tmp_path / "m.safetensors"
    arrays = model(src)
    out = tmp_path / "fq.safetensors"
    run("quantize", src, out, "--format", "hif8", "--keep-dtype")
    raw = out.read_bytes()
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
    for name, a in arrays.items():
        assert header[name]["shape"] == list(a.shape)
        if a.dtype.kind in "ib":
            continue
        start = 8 + int.from_bytes(raw[:8], "little") + header[name]["data_offsets"][0]
        got = np.frombuffer(raw[start:start + a.nbytes], dtype=a.dtype).reshape(a.shape)
        ref = fake_quant(tmp_path, "hif8", a.astype(np.float32), a.ndim - 1).astype(a.dtype)
        assert np.array_equal(bits(got), bits(ref)), name


def test_recipe_keeps_norms_embeddings_lm_head(tmp_path, formats):
    src = tmp_path / "m.safetensors"
    arrays = model(src)
    other = next((f for f in formats if f != "hif8"), "hif8:rounding=even")
    recipe = tmp_path / "recipe.json"
    recipe.write_text(json.dumps({"default": "hif8", "rules": [{"pattern": "MLP\\.DOWN", "format": other, "axis": 0}]}))
    q = tmp_path / "q.safetensors"
    r = run("quantize", src, q, "--recipe", recipe)
    assert "kept by recipe" in r.stdout
    with safe_open(str(q), "numpy") as f:
        meta = f.metadata()
        for name in ["embed_tokens.weight", "layers.0.input_layernorm.weight", "lm_head.weight"]:
            assert f"hifloat:{name}" not in meta
            got = f.get_tensor(name)
            assert np.array_equal(bits(got), bits(arrays[name]))
        assert json.loads(meta["hifloat:layers.0.self_attn.q_proj.weight"])["format"] == "hif8"
        down = json.loads(meta["hifloat:layers.0.mlp.down_proj.weight"])  # rules are case-insensitive
        assert down["format"] == other and down["axis"] == 0
    # compare --recipe: a "recipe" column with the recipe's format per tensor; kept tensors are skipped.
    rep = tmp_path / "r.json"
    run("compare", src, "--recipe", recipe, "--report", rep)
    j = json.loads(rep.read_text())
    assert j["columns"] == ["recipe"]
    t = {x["name"]: x for x in j["tensors"]}
    assert not t["lm_head.weight"]["compared"] and "keep" in t["lm_head.weight"]["note"]
    assert t["layers.0.mlp.down_proj.weight"]["results"]["recipe"]["format"] == other
    # An explicit empty keep list quantizes everything.
    recipe.write_text(json.dumps({"default": "hif8", "keep": []}))
    run("quantize", src, q, "--recipe", recipe)
    with safe_open(str(q), "numpy") as f:
        assert "hifloat:lm_head.weight" in f.metadata()


@pytest.mark.parametrize("text,expect", [
    ("{", "not valid JSON"),
    ('{"rules": []}', "default"),
    ('{"default": "nope"}', "nope"),
    ('{"default": "hif8", "keep": ["("]}', "regular expression"),
    ('{"default": "hif8", "rules": [{"pattern": "x"}]}', "rule 1"),
    ('{"default": "hif8", "extra": 1}', "extra"),
])
def test_bad_recipe_is_a_clear_error(tmp_path, text, expect):
    src = tmp_path / "m.safetensors"
    model(src)
    recipe = tmp_path / "recipe.json"
    recipe.write_text(text)
    r = run("quantize", src, tmp_path / "q.safetensors", "--recipe", recipe, check=False)
    assert r.returncode == 1 and expect in r.stderr and "recipe.json" in r.stderr
    assert not (tmp_path / "q.safetensors").exists()


def test_info_lists_tensors_formats_bytes(tmp_path):
    src = tmp_path / "m.safetensors"
    model(src)
    q = tmp_path / "q.safetensors"
    run("quantize", src, q, "--format", "hif8", "--include", "q_proj")
    out = run("info", q).stdout
    line = next(l for l in out.splitlines() if l.startswith("layers.0.self_attn.q_proj.weight"))
    assert "U8<-F32" in line and "[64, 64]" in line and "hif8" in line and "4096" in line
    line = next(l for l in out.splitlines() if l.startswith("position_ids"))
    assert "I64" in line and "96" in line
    assert "total: 8 tensors (1 packed" in out

"""`hifloat compare`: the reported numbers equal an independent numpy
computation of the documented definitions (include/hifloat/metrics.h)."""
import csv
import json
import math
import os

import ml_dtypes
import numpy as np
import pytest

from conftest import fake_quant, run, write_arrays


def make_model(path):
    rng = np.random.default_rng(1)
    arrays = [
        ("layers.0.attn.q.weight", rng.standard_normal((48, 96)).astype(np.float32)),
        ("layers.0.mlp.up.weight", (rng.standard_normal((32, 64)) * 1e-3).astype(np.float16)),
        ("layers.0.mlp.down.weight", rng.laplace(size=(64, 32)).astype(ml_dtypes.bfloat16)),
        ("layers.0.norm.weight", np.ones(96, np.float32)),
        ("tiny", np.array([1e-30, -3e-9, 0.0, 2.0] * 16, np.float32)),  # values flushed to zero
        ("zeros", np.zeros((4, 8), np.float32)),
        ("step", np.array(7, dtype=np.int64)),
        ("mask", np.array([True, False, True])),
    ]
    write_arrays(path, arrays, {"format": "pt"})
    return arrays


def numpy_metrics(x, q):
    x = x.astype(np.float64)
    q = q.astype(np.float64)
    ok = np.isfinite(x) & np.isfinite(q)
    e = (q - x)[ok]
    energy, err = np.dot(x[ok], x[ok]), np.dot(e, e)
    qq = np.dot(q[ok], q[ok])
    rel = 0.0 if err == 0 else (math.inf if energy == 0 else err / energy)
    sqnr = math.inf if err == 0 else (-math.inf if energy == 0 else 10 * math.log10(energy / err))
    if energy == 0 and qq == 0:
        cos = 1.0
    elif energy == 0 or qq == 0:
        cos = 0.0
    else:
        cos = np.dot(x[ok], q[ok]) / (np.linalg.norm(x[ok]) * np.linalg.norm(q[ok]))
    return {
        "rel_mse": rel, "sqnr_db": sqnr, "cosine": cos,
        "max_abs_err": float(np.max(np.abs(e))) if e.size else 0.0,
        "zero_share": float(np.count_nonzero((q == 0) & (x != 0))) / x.size,
        "nonfinite": int(np.count_nonzero(~np.isfinite(q))),
    }


def close(reported, expected):
    if expected is None or (isinstance(expected, float) and math.isinf(expected)):
        return reported is None  # JSON null = infinite
    return reported == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_metrics_equal_numpy(tmp_path, formats):
    ckpt = tmp_path / "m.safetensors"
    arrays = make_model(ckpt)
    for axis in ["last", "0"]:
        report = tmp_path / f"r{axis}.json"
        out = run("compare", ckpt, "--formats", ",".join(formats), "--axis", axis, "--report", report,
                  "--csv", tmp_path / "r.csv")
        rep = json.loads(report.read_text())
        assert rep["columns"] == [f for f in formats]
        by_name = {t["name"]: t for t in rep["tensors"]}
        weights = {f: [] for f in formats}
        for name, a in arrays:
            t = by_name[name]
            if a.dtype.kind in "ib":
                assert not t["compared"] and "not quantized" in t["note"], t
                assert "skipped" in out.stdout
                continue
            assert t["compared"]
            x = a.astype(np.float32)
            ax = x.ndim - 1 if axis == "last" else 0
            for f in formats:
                q = fake_quant(tmp_path, f, x, ax)
                got, want = t["results"][f], numpy_metrics(x, q)
                for k, v in want.items():
                    assert close(got[k], v), (axis, name, f, k, got[k], v)
                weights[f].append((x.size, want))
        # Size-weighted summary, recomputed.
        for s in rep["summary"]:
            rows = weights[s["column"]]
            n = sum(w for w, _ in rows)
            rel = sum(w * m["rel_mse"] for w, m in rows) / n
            assert s["elements"] == n
            assert close(s["rel_mse"], rel)
            assert close(s["sqnr_db"], -10 * math.log10(rel) if rel > 0 else math.inf)
            assert close(s["cosine"], sum(w * m["cosine"] for w, m in rows) / n)
            assert s["max_abs_err"] == max(m["max_abs_err"] for _, m in rows)
            assert s["nonfinite"] == sum(m["nonfinite"] for _, m in rows)
        # The best of each bit class has the highest SQNR of its class.
        for s in rep["summary"]:
            peers = [o for o in rep["summary"] if o["bit_class"] == s["bit_class"]]
            assert s["best"] == all((o["sqnr_db"] or math.inf) <= (s["sqnr_db"] or math.inf) for o in peers)
        # The CSV holds the same numbers.
        rows = list(csv.DictReader(open(tmp_path / "r.csv")))
        assert len(rows) == sum(1 for t in rep["tensors"] if t["compared"]) * len(formats)
        for r in rows:
            j = by_name[r["tensor"]]["results"][r["column"]]
            assert float(r["rel_mse"]) == pytest.approx(j["rel_mse"] if j["rel_mse"] is not None else math.inf,
                                                        rel=1e-15)


def test_table_marks_best_and_lists_skipped(tmp_path):
    ckpt = tmp_path / "m.safetensors"
    make_model(ckpt)
    out = run("compare", ckpt, "--formats", "hif8").stdout
    assert "SQNR in dB per tensor" in out
    assert "<- best 8-bit" in out
    assert "step" in out and "skipped: dtype I64 not quantized" in out
    assert "exact" in out  # the all-zero tensor quantizes without error


def test_include_exclude_and_index(tmp_path):
    rng = np.random.default_rng(2)
    a = [("a.weight", rng.standard_normal((8, 32)).astype(np.float32))]
    b = [("b.weight", rng.standard_normal((8, 32)).astype(np.float32)),
         ("b.bias", rng.standard_normal(32).astype(np.float32))]
    write_arrays(tmp_path / "s1.safetensors", a)
    write_arrays(tmp_path / "s2.safetensors", b)
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(
        {"metadata": {}, "weight_map": {"a.weight": "s1.safetensors", "b.weight": "s2.safetensors",
                                        "b.bias": "s2.safetensors"}}))
    rep = tmp_path / "r.json"
    run("compare", tmp_path / "model.safetensors.index.json", "--formats", "hif8", "--report", rep,
        "--include", "weight", "--exclude", "^a")
    names = [t["name"] for t in json.loads(rep.read_text())["tensors"]]
    assert names == ["b.weight"]
    # The same shard twice through two routes is read once; a tensor in two different files is an error.
    r = run("compare", tmp_path / "s1.safetensors", tmp_path / "s1.safetensors", "--formats", "hif8", check=False)
    assert r.returncode == 0
    write_arrays(tmp_path / "dup.safetensors", a)
    r = run("compare", tmp_path / "s1.safetensors", tmp_path / "dup.safetensors", "--formats", "hif8", check=False)
    assert r.returncode == 1 and "a.weight" in r.stderr and "dup.safetensors" in r.stderr


def test_plot_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    ckpt = tmp_path / "m.safetensors"
    make_model(ckpt)
    png = tmp_path / "r.png"
    run("compare", ckpt, "--formats", "hif8,hif8:rounding=even", "--plot", png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(os.listdir(tmp_path)) == ["m.safetensors", "r.png"]  # no temporary files left


def test_plot_without_python_is_a_clear_error(tmp_path):
    ckpt = tmp_path / "m.safetensors"
    make_model(ckpt)
    env = dict(os.environ, HIFLOAT_PYTHON=str(tmp_path / "no-such-python"))
    r = run("compare", ckpt, "--formats", "hif8", "--plot", tmp_path / "r.png", check=False, env=env)
    assert r.returncode == 1
    assert "matplotlib" in r.stderr and "no-such-python" in r.stderr
    assert not (tmp_path / "r.png").exists()


def test_quiet_in_pipes_progress_on_a_terminal(tmp_path):
    import pty
    import subprocess

    from conftest import cli_path

    ckpt = tmp_path / "m.safetensors"
    make_model(ckpt)
    r = run("compare", ckpt, "--formats", "hif8")
    assert r.stderr == ""
    master, slave = pty.openpty()
    p = subprocess.run([cli_path(), "compare", str(ckpt), "--formats", "hif8"], stdout=subprocess.DEVNULL,
                       stderr=slave)
    os.close(slave)
    text = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        text += chunk
    os.close(master)
    assert p.returncode == 0
    assert b"tensors" in text and b"compare [" in text

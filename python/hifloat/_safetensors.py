"""Packed tensors in safetensors files (docs/formats.md, "Packed tensors in
safetensors files"), written and read with the `safetensors` package so the
files interoperate with the hifloat CLI and any safetensors reader.

A packed tensor is a U8 tensor of shape [nbytes]; the metadata entry
``hifloat:<name>`` holds compact JSON {"format", "shape", "axis", "dtype"} and
``hifloat.version`` is "1". Other tensors are ordinary safetensors tensors.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, Union

import numpy as np

from ._api import _ST_NAMES, Packed
from ._hifloat import hifloat8

__all__ = ["save", "load"]

_VERSION_KEY = "hifloat.version"
_VERSION = "1"
_PREFIX = "hifloat:"

_KIND_BACK = {v: k for k, v in _ST_NAMES.items()}


def _safetensors_numpy():
    try:
        import safetensors
        import safetensors.numpy
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("hifloat.save/load need the 'safetensors' package: pip install safetensors") from e
    return safetensors


def save(path: Union[str, os.PathLike], tensors: Mapping[str, Any], metadata: Mapping[str, str] | None = None) -> None:
    """Writes ``{name: Packed | ndarray}`` to a safetensors file.

    Packed tensors are stored per docs/formats.md; an ndarray of dtype
    ``hifloat8`` is stored as a packed ``hif8`` tensor; other arrays are plain
    tensors. ``metadata`` adds string entries to ``__metadata__``.

    >>> import numpy as np, hifloat, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "t.safetensors")
    >>> w = np.linspace(-1, 1, 128, dtype=np.float32).reshape(2, 64)
    >>> hifloat.save(path, {"w": hifloat.encode(w, "hif8"), "b": np.zeros(2, np.float32)})
    >>> sorted(hifloat.load(path))
    ['b', 'w']
    """
    st = _safetensors_numpy()
    meta: dict[str, str] = {}
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError("metadata keys and values must be strings")
            meta[k] = v
    arrays: dict[str, np.ndarray] = {}
    for name, value in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"tensor names must be strings, got {type(name).__name__}")
        if isinstance(value, np.ndarray) and value.dtype == np.dtype(hifloat8):
            axis = max(value.ndim - 1, 0)
            value = Packed(np.ascontiguousarray(value).reshape(-1).view(np.uint8), "hif8", value.shape, axis)
        if isinstance(value, Packed):
            record = {"format": value.format, "shape": list(value.shape), "axis": value.axis,
                      "dtype": _ST_NAMES[value.dtype]}
            meta[_PREFIX + name] = json.dumps(record, separators=(",", ":"))
            meta[_VERSION_KEY] = _VERSION
            arrays[name] = np.ascontiguousarray(value.data)
        else:
            arrays[name] = np.ascontiguousarray(np.asarray(value))
    try:
        st.numpy.save_file(arrays, os.fspath(path), metadata=meta or None)
    except Exception as e:  # the package's own errors (unsupported dtype, I/O) name what failed
        if isinstance(e, OSError):
            raise
        raise ValueError(f"{os.fspath(path)}: cannot write safetensors file: {e}") from e


def _packed_from(path: str, name: str, text: str, data: np.ndarray) -> Packed:
    try:
        record = json.loads(text)
        fmt, shape, axis, dtype = record["format"], record["shape"], record["axis"], record["dtype"]
        if not isinstance(fmt, str) or not isinstance(axis, int) or not isinstance(shape, list):
            raise TypeError
        kind = _KIND_BACK[dtype]
    except (ValueError, KeyError, TypeError):
        raise ValueError(
            f"{path}: metadata for packed tensor '{name}' is not valid: {text!r} "
            '(expected {"format":...,"shape":[...],"axis":N,"dtype":"F32|F16|BF16|F64"})'
        ) from None
    try:
        return Packed(np.array(data, dtype=np.uint8), fmt, shape, axis, kind)
    except (ValueError, TypeError) as e:
        raise ValueError(f"{path}: packed tensor '{name}': {e}") from None


def load(path: Union[str, os.PathLike]) -> dict[str, Union[Packed, np.ndarray]]:
    """Reads a safetensors file: packed tensors as :class:`Packed`, others as ndarrays.

    Decode packed tensors with :func:`hifloat.decode`.
    """
    st = _safetensors_numpy()
    path = os.fspath(path)
    out: dict[str, Union[Packed, np.ndarray]] = {}
    try:
        with st.safe_open(path, framework="numpy") as f:
            meta = f.metadata() or {}
            packed_names = {k[len(_PREFIX):] for k in meta if k.startswith(_PREFIX)}
            if packed_names and meta.get(_VERSION_KEY) != _VERSION:
                raise ValueError(f"{path}: has hifloat: metadata but '{_VERSION_KEY}' is "
                                 f"{meta.get(_VERSION_KEY)!r} (expected '{_VERSION}')")
            names = list(f.keys())
            missing = packed_names - set(names)
            if missing:
                raise ValueError(f"{path}: metadata names packed tensors that the file lacks: {sorted(missing)}")
            for name in names:
                t = f.get_tensor(name)
                if name in packed_names:
                    if t.dtype != np.uint8 or t.ndim != 1:
                        raise ValueError(f"{path}: packed tensor '{name}' must be U8 of shape [nbytes], "
                                         f"got {t.dtype} {list(t.shape)}")
                    out[name] = _packed_from(path, name, meta[_PREFIX + name], t)
                else:
                    out[name] = t
    except (ValueError, OSError):
        raise
    except Exception as e:  # safetensors' own error types: a malformed file
        raise ValueError(f"{path}: cannot read safetensors file: {e}") from e
    return out

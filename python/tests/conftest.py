"""Shared fixtures: where ../shared is, and which formats this build implements."""

from __future__ import annotations

import os
import pathlib

import pytest

import hifloat

REPO = pathlib.Path(__file__).resolve().parents[2]


def shared_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("HIFLOAT_SHARED_DIR", REPO.parent / "shared"))


def implemented_formats() -> list[str]:
    """Names of the registered formats whose codec exists in this build."""
    return [f.name for f in hifloat.formats() if f.implemented]


def require_codec(fmt: str) -> None:
    """Skips (with the reason shown) when the C++ library has no codec for fmt yet."""
    name = hifloat.parse_format(fmt).name
    if name not in implemented_formats():
        pytest.skip(f"format '{fmt}' is not implemented yet in the C++ library")


@pytest.fixture(scope="session")
def shared() -> pathlib.Path:
    d = shared_dir()
    if not d.is_dir():
        pytest.fail(f"shared directory {d} not found (set HIFLOAT_SHARED_DIR)")
    return d

"""Format registry and format strings (``name[:key=value,...]``, spec/README.md)."""

from __future__ import annotations

from dataclasses import dataclass

from . import _hifloat

__all__ = ["FormatInfo", "FormatSpec", "OptionInfo", "formats", "parse_format"]


@dataclass(frozen=True)
class OptionInfo:
    """One option of a format: its key, accepted values (empty: free-form) and default."""

    key: str
    values: tuple[str, ...]
    default: str


@dataclass(frozen=True)
class FormatInfo:
    """A registered format.

    ``implemented`` tells whether this build has a codec for it (formats still
    being written raise ``ValueError: ... not implemented yet``).
    """

    name: str
    aliases: tuple[str, ...]
    options: tuple[OptionInfo, ...]
    bits_per_value: str
    description: str
    implemented: bool


@dataclass(frozen=True)
class FormatSpec:
    """A parsed, validated format string: aliases resolved, every option present.

    ``str(spec)`` is the canonical string (only options that differ from their
    defaults); two strings denote the same format when their specs are equal.

    >>> spec = parse_format("hifx4:rounding=even")
    >>> spec.name, spec.options["rounding"], str(spec)
    ('hif4', 'even', 'hif4:rounding=even')
    """

    name: str
    options: dict[str, str]
    canonical: str
    full: str

    def __str__(self) -> str:
        return self.canonical

    def __hash__(self) -> int:
        return hash(self.full)


def formats() -> list[FormatInfo]:
    """Every format hifloat knows, in display order.

    >>> [f.name for f in formats()][:3]
    ['hif8', 'hif4', 'hifx2']
    """
    out = []
    for d in _hifloat.formats():
        opts = tuple(OptionInfo(o["key"], tuple(o["values"]), o["default"]) for o in d["options"])
        out.append(
            FormatInfo(d["name"], tuple(d["aliases"]), opts, d["bits_per_value"], d["description"], d["implemented"])
        )
    return out


def parse_format(text: str) -> FormatSpec:
    """Parses and validates a format string; raises ValueError naming the bad part."""
    if not isinstance(text, str):
        raise TypeError(f"format must be a string such as 'hif4' or 'hif8:rounding=even', got {type(text).__name__}")
    name, options, canonical, full = _hifloat.parse_format(text)
    return FormatSpec(name, dict(options), canonical, full)

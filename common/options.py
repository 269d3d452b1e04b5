"""Job options: their names, defaults and validation, shared by the API, the CLI and the worker.

Each ``*_options`` function takes loosely typed input (query strings, form
fields, JSON, command-line lists) and returns a frozen, validated value, or
raises ``BadRequest`` naming the bad value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from common.errors import BadRequest

OPERATIONS = ("extract", "remove", "hash")

# Metadata groups a strip can keep. Rendering needs the first two, so they are
# kept unless dropped; "copyright" keeps Artist/Copyright/Rights.
STRIP_GROUPS = ("icc", "orientation", "copyright")
DEFAULT_KEEP = frozenset({"icc", "orientation"})

HASH_TYPES = ("phash", "dhash", "ahash", "whash", "bmh0", "bmh1", "md5", "sha256")
DEFAULT_HASH_TYPES = ("phash", "md5", "sha256")


EXTRACT_VALUES = ("raw", "printed")


@dataclass(frozen=True)
class ExtractOptions:
    pixels: bool = True  # compute pHash and predominant colours (decodes the image)
    values: str = "raw"  # tag values as exiftool -n gives them, or "printed" as it prints them


@dataclass(frozen=True)
class StripOptions:
    keep: frozenset[str] = DEFAULT_KEEP


@dataclass(frozen=True)
class HashOptions:
    types: tuple[str, ...] = DEFAULT_HASH_TYPES
    fast: bool = False  # reduced-scale JPEG decode before perceptual hashing


def _names(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    return [name.strip().lower() for name in value if name and name.strip()]


def _check(names: list[str], allowed: tuple[str, ...], what: str) -> None:
    unknown = sorted(set(names) - set(allowed))
    if unknown:
        raise BadRequest(f"unknown {what}: {', '.join(unknown)} (allowed: {', '.join(allowed)})")


def parse_bool(value: object) -> bool:
    """Read a flag from JSON, a form or a query string."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise BadRequest(f"not a boolean: {value!r}")


def extract_options(pixels: object = True, values: object = "raw") -> ExtractOptions:
    chosen = str(values).strip().lower()
    _check([chosen], EXTRACT_VALUES, "values")
    return ExtractOptions(pixels=parse_bool(pixels), values=chosen)


def strip_options(
    keep: str | Iterable[str] | None = None, drop: str | Iterable[str] | None = None
) -> StripOptions:
    """``keep`` replaces the default set when given; ``drop`` removes from whatever is kept."""
    keep_names, drop_names = _names(keep), _names(drop)
    _check(keep_names, STRIP_GROUPS, "keep group")
    _check(drop_names, STRIP_GROUPS, "drop group")
    kept = frozenset(keep_names) if keep is not None else DEFAULT_KEEP
    return StripOptions(keep=kept - frozenset(drop_names))


def hash_options(types: str | Iterable[str] | None = None, fast: object = False) -> HashOptions:
    names = _names(types)
    _check(names, HASH_TYPES, "hash type")
    chosen = tuple(dict.fromkeys(names)) or DEFAULT_HASH_TYPES
    return HashOptions(types=chosen, fast=parse_bool(fast))


def to_json(options: ExtractOptions | StripOptions | HashOptions) -> dict:
    """A JSON-safe dict (for the job record and the task message)."""
    return {k: sorted(v) if isinstance(v, frozenset) else v for k, v in asdict(options).items()}

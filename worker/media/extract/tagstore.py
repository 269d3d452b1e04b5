"""Where extracted tags accumulate, and how their values become JSON.

ExifTool keeps the raw value of every tag it finds (after ``RawConv``) and applies
``ValueConv`` only when the value is asked for, once the whole file has been read
(so a conversion may use a value found later, like Canon's ``FocalUnits``).
:class:`TagStore` does the same: :meth:`add` keeps raw values per family-1 group,
with ExifTool's duplicate rule (a later tag of the same name in the same group
replaces the earlier one unless its priority is 0), and :meth:`groups` converts.
Converted values become JSON: numbers stay numbers, several numbers become a list,
strings are decoded as UTF-8 (invalid bytes become ``?``, as ExifTool prints them)
and binary data becomes ``"(Binary data N bytes)"``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from . import perl as P
from .tabletypes import Tag

_NUMBER_LIST = re.compile(
    r"-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?(?: -?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)+"
)
_NUMERIC_FORMATS = ("int", "rational", "float", "double", "fixed")


@dataclass
class Found:
    tag: Tag
    value: object
    priority: int | None


class TagStore:
    """Tags found in one file, by ExifTool family-1 group, plus the shared Perl state."""

    def __init__(self) -> None:
        self.state: dict = {}
        self.found: dict[str, dict[str, Found]] = {}
        self.group0: dict[str, str] = {}
        self.warnings: list[str] = []
        self.unsupported_procs: set[str] = set()
        self.blocks: dict[str, list[bytes]] = {}  # XMP/IPTC/ICC found inside IFDs
        self.entries = 0  # directory entries read, for the per-file budget (exif.MAX_ENTRIES)

    def add(self, group1: str, group0: str, tag: Tag, value: object, priority: int | None) -> None:
        group = self.found.get(group1)
        if group is None:
            group = self.found[group1] = {}
            self.group0[group1] = group0
        old = group.get(tag.name)
        if old is not None and priority == 0:
            return
        group[tag.name] = Found(tag, value, priority)

    def add_summary(self, group1: str, name: str, text: str) -> None:
        """Add a value that needs no conversion (embedded-image summaries)."""
        self.found.setdefault(group1, {})[name] = Found(Tag(name), text, None)

    def add_block(self, kind: str, data: bytes) -> None:
        self.blocks.setdefault(kind, []).append(data)

    def warn(self, message: str, *, minor: bool = False) -> None:
        if len(self.warnings) < 50:
            self.warnings.append(("[minor] " if minor else "") + message)

    def unsupported(self, proc: str) -> None:
        self.unsupported_procs.add(proc)

    def value(self, group1: str, name: str) -> object:
        """The converted, JSON-ready value of one tag, or ``None``."""
        found = self.found.get(group1, {}).get(name)
        return None if found is None else self._convert(found)

    def groups(self, printed: bool = False) -> dict[str, dict[str, object]]:
        """Every group's tags with ``ValueConv`` (and ``PrintConv`` when ``printed``) applied,
        made JSON-safe."""
        out: dict[str, dict[str, object]] = {}
        for group1, tags in self.found.items():
            converted = {}
            for name, found in tags.items():
                value = self._convert(found, printed)
                if value is not None:
                    converted[name] = value
            if converted:
                out[group1] = converted
        return out

    def _convert(self, found: Found, printed: bool = False) -> object:
        value = found.value
        tag = found.tag
        if tag.conv is not None:
            where = tag.where("ValueConv")
            value = P.convert(tag.conv, value, self.state, tag=tag.name, where=where)
            if value is None:
                return None  # ExifTool's eval failed: the tag has no value
        if "Binary" in tag.flags and isinstance(value, str):
            value = P.Ref(value)
        if not printed:
            return to_json(value, tag)
        if tag.print_conv is not None and (
            not isinstance(value, P.Ref) or "ConvertBinary" in tag.flags
        ):
            where = tag.where("PrintConv")
            value = P.convert(tag.print_conv, value, self.state, tag=tag.name, where=where)
            if value is None:
                return None
        return printed_json(value)


def to_json(value: object, tag: Tag | None = None) -> object:
    """A Perl-side value as JSON: numbers, lists of numbers, text, or a binary summary."""
    if value is None:
        return None
    if isinstance(value, P.Ref):
        inner = value.value
        if isinstance(inner, str) and inner.startswith("Binary data ") and inner.endswith(" bytes"):
            return f"({inner})"
        return f"(Binary data {len(P.pstr(inner))} bytes)"
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if value.bit_length() <= 64 else float(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return "inf" if value > 0 else ("-inf" if value < 0 else "nan")
        if value.is_integer() and abs(value) < 1e15:
            return int(value)
        return value
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    text = str(value)
    if text in ("True", "False", "true", "false"):
        return text.lower() == "true"  # ExifTool's JSON prints these as booleans
    fmt = (tag.fmt if tag is not None else None) or ""
    if _NUMBER_LIST.fullmatch(text) and (not fmt or fmt.startswith(_NUMERIC_FORMATS)):
        return [_number(part) for part in text.split(" ")]
    return decode_text(text)


_JSON_NUMBER = re.compile(r"-?(\d|[1-9]\d{1,14})(\.\d{1,16})?([eE][-+]?\d{1,3})?")


def printed_json(value: object) -> object:
    """A printed value as ``exiftool -j`` writes it: text, except what looks like a number
    (its ``EscapeJSON`` rule) or a boolean; binary data as ``(Binary data N bytes)``."""
    if value is None or isinstance(value, (P.Ref, bool, dict)):
        return to_json(value)
    if isinstance(value, list):
        return [printed_json(v) for v in value]
    text = decode_text(P.pstr(value))
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if _JSON_NUMBER.fullmatch(text):
        return _number(text)
    return text


def _number(text: str) -> int | float:
    number = float(text)
    if number.is_integer() and "e" not in text.lower() and "." not in text:
        return int(number)
    return number


def decode_text(text: str) -> str:
    """Latin-1 Perl bytes to text: UTF-8 when valid, else bad bytes shown as ``?``.

    NUL characters are dropped, as ExifTool's JSON output drops them.
    """
    raw = text.encode("latin-1", "replace").replace(b"\x00", b"")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace").replace("\ufffd", "?")

"""Conversions given as data in ExifTool's tables: lookup hashes, lists, bit masks.

ExifTool's ``GetValue`` (``ExifTool.pm``) applies ``ValueConv`` then ``PrintConv``;
either may be Perl (translated to a function), a hash or a list. Here:

* :func:`lookup` - a ``ValueConv`` hash: the value looked up, else unchanged;
* :class:`PrintHash` - a ``PrintConv`` hash: the value looked up, else the ``BITMASK``
  decoding (:func:`decode_bits`), the ``OTHER`` routine, or ``Unknown (val)``
  (``Unknown (0x1f)`` for ``PrintHex`` tags);
* :func:`conv_list` - a list: each space-separated item has its own conversion
  (``REPEAT`` reuses the last one); printed items are joined by ``"; "``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .scalars import Env, Return, pstr

_INT = re.compile(r"[+-]?\d+$")


def lookup(table: dict[str, object]) -> Callable[[Env], object]:
    """A ``ValueConv`` given as a hash: the converted value is looked up by the raw one."""

    def run(V: Env) -> object:
        return table.get(pstr(V.get("$val")), V.get("$val"))

    return run


def decode_bits(value: object, lookup: dict[str, object] | None, bits: int = 32) -> str:
    """``ExifTool.pm DecodeBits``: the names of the set bits of each word, ``(none)`` if none."""
    names: list[str] = []
    offset = 0
    for word in pstr(value).split():
        number = int(word) if _INT.match(word) else 0
        for i in range(bits):
            if number >> i & 1:
                n = i + offset
                if lookup is None:
                    names.append(str(n))
                else:
                    names.append(pstr(lookup.get(str(n))) or f"[{n}]")
        offset += bits
    if not names:
        return "(none)"
    return (", " if lookup is not None else ",").join(names)


class PrintHash:
    """A ``PrintConv`` hash with ExifTool's fall-backs for values it does not list."""

    __slots__ = ("bitmask", "bits", "other", "print_hex", "table")

    def __init__(
        self,
        table: dict[str, object],
        *,
        bitmask: dict[str, object] | None = None,
        other: Callable[[Env], object] | None = None,
        print_hex: bool = False,
        bits: int = 32,
    ) -> None:
        self.table = table
        self.bitmask = bitmask
        self.other = other
        self.print_hex = print_hex
        self.bits = bits

    def __call__(self, V: Env) -> object:
        val = V.get("$val")
        found = self.table.get(pstr(val))
        if found is not None:
            return found
        if self.bitmask is not None:
            return decode_bits(val, self.bitmask, self.bits)
        if self.other is not None:
            sub = Env(V)
            sub["@_"] = [val, None, self.table]
            try:
                found = self.other(sub)
            except Return as ret:
                found = ret.value
            if found is not None:
                return found
        text = pstr(val)
        if self.print_hex and val and _INT.match(text):
            return f"Unknown (0x{int(text) & 0xFFFFFFFFFFFFFFFF:x})"
        return f"Unknown ({text})"


def conv_list(
    parts: list, separator: str = " ", relist: list | None = None
) -> Callable[[Env], object]:
    """A conversion given as a list: item ``i`` of the value gets conversion ``parts[i]``;
    ``relist`` (ExifTool's ``Relist``) first regroups the items (``[[0, 1], 2]``)."""

    def run(V: Env) -> object:
        value = V.get("$val")
        items = list(value) if isinstance(value, list) else pstr(value).split()
        if relist is not None:
            items = _relist(items, relist)
        if not items:
            return None
        out = []
        fn = parts[0] if parts else None
        repeating = False
        for i, item in enumerate(items):
            if i and not repeating:
                following = parts[i] if i < len(parts) else None
                if following == "REPEAT":
                    repeating = True
                else:
                    fn = following
            converted = item if fn is None else _one(fn, V, item)
            if converted is not None:
                out.append(pstr(converted))
        return separator.join(out) if out else None

    return run


def _relist(items: list, relist: list) -> list:
    out = []
    for index in relist:
        if isinstance(index, list):
            joined = [pstr(items[int(i)]) for i in index if int(i) < len(items)]
            if joined:
                out.append(" ".join(joined))
        elif int(index) < len(items):
            out.append(items[int(index)])
    return out


def _one(fn: Callable[[Env], object], V: Env, item: object) -> object:
    sub = Env(V)
    sub["$val"] = item
    sub["@_"] = [item, V.get("$self")]
    try:
        return fn(sub)
    except Return as ret:
        return ret.value

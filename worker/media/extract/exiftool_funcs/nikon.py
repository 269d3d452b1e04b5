"""Nikon.pm and Olympus.pm helpers the tables call (AF points, picture controls, strings).

Written from the behaviour of the subs of the same names in those ExifTool modules.
"""

from __future__ import annotations

import re
import struct

from .. import perl as P
from ..perl import Env, num, pstr, register


@register("Nikon::PrintPC")
def print_pc(
    V: Env,
    value: object,
    norm: object = None,
    fmt: object = None,
    div: object = None,
    *rest: object,
) -> str:
    """``Nikon.pm PrintPC``: a picture-control adjustment (``Normal``, ``+1``, ``Auto``...)."""
    x = num(value)
    if x == 0:
        return pstr(norm) if P.truth(norm) else "Normal"
    special = {0x7F: "n/a", -128: "Auto", -127: "User"}
    if x in special:
        return special[x]
    return P.sprintf([pstr(fmt) if P.truth(fmt) else "%+d", x / (num(div) or 1)])


@register("Nikon::FormatString")
def format_string(V: Env, value: object, *rest: object) -> str:
    """``Nikon.pm FormatString``: shorten long strings, capitalise words like ExifTool."""
    text = pstr(value)
    if len(text) > 60:
        return text[:55] + "[...]"
    text = text.rstrip()
    if not re.search(r"[AEIOUY]", text):
        return text
    text, n = re.subn(r"\b([AEIOUY])([A-Z]+)", lambda m: m.group(1) + m.group(2).lower(), text)
    if n:
        text = re.sub(r"\bAf\b", "AF", text, count=1)
        text = re.sub(r"  +.$", "", text, count=1, flags=re.S)
    word = r"\b([A-Z])([A-Z]*[AEIOUY][A-Z]*)"
    text, n = re.subn(word, lambda m: m.group(1) + m.group(2).lower(), text)
    if n:
        text = re.sub(r"\bRaw\b", "RAW", text, count=1)
    return text


@register("Nikon::GetAFPointGrid")
def get_af_point_grid(
    V: Env, value: object, ncol: object, inverse: object = None, *rest: object
) -> object:
    """``Nikon.pm GetAFPointGrid``: point number to ``A1``-style grid name."""
    x, cols = num(value), int(num(ncol))
    row = int((x + 0.5) / cols) & 0xFF
    return chr(65 + row) + pstr(x - cols * row + 1)


def _bits(value: object) -> list[int]:
    data = bytes.fromhex(re.sub(r"[^0-9a-fA-F]", "", pstr(value)) or "")
    return [i * 8 + j for i, byte in enumerate(data) for j in range(8) if byte >> j & 1]


def _grid_key(point: str) -> str:
    return point if len(point) != 2 else point[0] + "0" + point[1]


@register("Nikon::PrintAFPoints")
def print_af_points(V: Env, value: object, points: object, *rest: object) -> str:
    """``Nikon.pm PrintAFPoints``: the names of the set bits (``A1,C3,...``), sorted."""
    names = points if isinstance(points, dict) else {}
    found = [pstr(names[str(n + 1)]) for n in _bits(value) if str(n + 1) in names]
    if not found:
        return "(none)"
    return ",".join(sorted(found, key=_grid_key))


@register("Nikon::PrintAFPointsGrid")
def print_af_points_grid(V: Env, value: object, ncol: object, *rest: object) -> str:
    found = [get_af_point_grid(V, n, ncol) for n in _bits(value)]
    return ",".join(found) if found else "(none)"


def _from_center(position: object, count: object, before: str, after: str) -> str:
    x = num(position)
    center = 1 + (num(count) + 1) / 2
    if x == 0:
        return "n/a"
    if x == center:
        return "C"
    return f"{int(abs(center - x))}{before if x < center else after}"


@register("Nikon::PrintAFPointsLeftRight")
def print_af_points_left_right(V: Env, col: object, ncol: object, *rest: object) -> str:
    return _from_center(col, ncol, "L of Center", "R of Center")


@register("Nikon::PrintAFPointsUpDown")
def print_af_points_up_down(V: Env, row: object, nrow: object, *rest: object) -> str:
    return _from_center(row, nrow, "U from Center", "D from Center")


_OLYMPUS_AF_NAMES = {0x36794285: "Left", 0x79798585: "Center", 0xBD79C985: "Right"}


@register("Olympus::PrintAFAreas")
def print_af_areas(V: Env, value: object, *rest: object) -> str:
    """``Olympus.pm PrintAFAreas``: each AF area as ``Name (x1,y1)-(x2,y2)``."""
    out = []
    for word in pstr(value).split():
        point = int(num(word))
        if not point:
            continue
        coords = struct.unpack("4B", struct.pack(">I", point & 0xFFFFFFFF))
        name = _OLYMPUS_AF_NAMES.get(point)
        text = f"({coords[0]},{coords[1]})-({coords[2]},{coords[3]})"
        out.append(f"{name} {text}" if name else text)
    return ", ".join(out) or "none"

"""Binary value formats of TIFF/EXIF directories and maker notes, read as ExifTool reads them.

TIFF 6.0 §2 and EXIF 2.32 §4.6.2 define the IFD field types 1-12 (BigTIFF adds
16-18); ExifTool's tables use the same names plus a few of its own (``int16uRev``,
``fixed32s``, ...). :func:`read_value` returns what ExifTool's ``ReadValue``
returns: one number, several numbers joined by spaces, or a latin-1 string for
``string`` (cut at the first NUL), ``undef`` and ``binary``. Rationals are divided
and rounded to 10 significant digits (7 for 16-bit ones); a zero denominator gives
``"inf"`` or ``"undef"``.
"""

from __future__ import annotations

import struct
from functools import lru_cache

# EXIF/TIFF field type code -> ExifTool format name
TYPE_NAMES = {
    1: "int8u",
    2: "string",
    3: "int16u",
    4: "int32u",
    5: "rational64u",
    6: "int8s",
    7: "undef",
    8: "int16s",
    9: "int32s",
    10: "rational64s",
    11: "float",
    12: "double",
    13: "ifd",
    16: "int64u",
    17: "int64s",
    18: "ifd64",
}

FORMAT_SIZE = {
    "int8s": 1,
    "int8u": 1,
    "int16s": 2,
    "int16u": 2,
    "int16uRev": 2,
    "int32s": 4,
    "int32u": 4,
    "int32uRev": 4,
    "int64s": 8,
    "int64u": 8,
    "rational32s": 4,
    "rational32u": 4,
    "rational64s": 8,
    "rational64u": 8,
    "fixed16s": 2,
    "fixed16u": 2,
    "fixed32s": 4,
    "fixed32u": 4,
    "fixed64s": 8,
    "float": 4,
    "double": 8,
    "extended": 10,
    "unicode": 2,
    "complex": 8,
    "string": 1,
    "binary": 1,
    "undef": 1,
    "ifd": 4,
    "ifd64": 8,
    "ue7": 1,
}

INTEGER_FORMATS = frozenset(
    {
        "int8s",
        "int8u",
        "int16s",
        "int16u",
        "int16uRev",
        "int32s",
        "int32u",
        "int32uRev",
        "int64s",
        "int64u",
        "ifd",
        "ifd64",
    }
)
TEXT_FORMATS = frozenset({"string", "undef", "binary"})

# struct codes for the plain numeric formats
_STRUCT = {
    "int8s": "b",
    "int8u": "B",
    "int16s": "h",
    "int16u": "H",
    "int32s": "i",
    "int32u": "I",
    "int64s": "q",
    "int64u": "Q",
    "float": "f",
    "double": "d",
    "ifd": "I",
    "ifd64": "Q",
}


def round_sig(value: float, digits: int) -> float | int:
    """ExifTool's ``RoundFloat``: ``sprintf("%.{digits}g")`` read back as a number."""
    text = f"{value:.{digits}g}"
    number = float(text)
    if number.is_integer() and "e" not in text and "." not in text:
        return int(number)
    return number


def _rationals(raw: bytes, order: str, count: int, signed: bool, half: bool) -> list:
    code = ("h" if signed else "H") if half else ("i" if signed else "I")
    values = struct.unpack(f"{order}{2 * count}{code}", raw)
    digits = 7 if half else 10
    out: list = []
    for i in range(0, len(values), 2):
        num, den = values[i], values[i + 1]
        if den == 0:
            out.append("inf" if num else "undef")
        else:
            out.append(round_sig(num / den, digits))
    return out


def _fixed(raw: bytes, order: str, count: int, fmt: str) -> list:
    if fmt == "fixed16s":
        vals = struct.unpack(f"{order}{count}h", raw)
        return [int((v / 256) * 1000 + (-0.5 if v < 0 else 0.5)) / 1000 for v in vals]
    if fmt == "fixed16u":
        vals = struct.unpack(f"{order}{count}H", raw)
        return [int((v / 256) * 1000 + 0.5) / 1000 for v in vals]
    if fmt == "fixed32s":
        vals = struct.unpack(f"{order}{count}i", raw)
        return [int((v / 65536) * 1e5 + (0.5 if v > 0 else -0.5)) / 1e5 for v in vals]
    if fmt == "fixed32u":
        vals = struct.unpack(f"{order}{count}I", raw)
        return [int((v / 65536) * 1e5 + 0.5) / 1e5 for v in vals]
    vals = struct.unpack(f"{order}{count}q", raw)  # fixed64s
    return [v / 4294967296 for v in vals]


def _float_value(value: float) -> float | int | str:
    if value != value:
        return "nan"
    if value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    return value


@lru_cache(maxsize=1024)
def _struct(order: str, count: int, code: str) -> struct.Struct:
    return struct.Struct(f"{order}{count}{code}")


def read_values(data: bytes, pos: int, fmt: str, count: int, order: str) -> list | str | None:
    """Read ``count`` values of ``fmt``; a string for text formats, else a list (may be short)."""
    size = FORMAT_SIZE.get(fmt, 1)
    avail = len(data) - pos
    if pos < 0 or avail <= 0:
        return None
    if count * size > avail:
        count = avail // size
        if count < 1:
            return None
    raw = data[pos : pos + count * size]
    if fmt in TEXT_FORMATS or fmt not in FORMAT_SIZE or fmt in ("unicode", "complex", "ue7"):
        text = raw.decode("latin-1")
        if fmt == "string":
            nul = text.find("\x00")
            if nul >= 0:
                text = text[:nul]
        return text
    code = _STRUCT.get(fmt)
    if code is not None:
        values = list(_struct(order, count, code).unpack(raw))
        if fmt in ("float", "double"):
            values = [_float_value(v) for v in values]
        return values
    if fmt.startswith("rational"):
        return _rationals(raw, order, count, fmt.endswith("s"), fmt.startswith("rational32"))
    if fmt.startswith("fixed"):
        return _fixed(raw, order, count, fmt)
    if fmt in ("int16uRev", "int32uRev"):
        other = ">" if order == "<" else "<"
        return list(struct.unpack(f"{other}{count}{'H' if fmt == 'int16uRev' else 'I'}", raw))
    if fmt == "extended":
        out = []
        for i in range(count):
            chunk = raw[i * 10 : i * 10 + 10]
            if order == "<":
                chunk = chunk[::-1]
            exponent = ((chunk[0] & 0x7F) << 8) | chunk[1]
            mantissa = int.from_bytes(chunk[2:], "big")
            sign = -1 if chunk[0] & 0x80 else 1
            out.append(sign * mantissa * 2.0 ** (exponent - 16383 - 63) if mantissa else 0)
        return out
    return raw.decode("latin-1")


def read_value(data: bytes, pos: int, fmt: str, count: int, order: str) -> object:
    """ExifTool's ``ReadValue``: a scalar, or several numbers joined by single spaces."""
    values = read_values(data, pos, fmt, count, order)
    if values is None or isinstance(values, str):
        return values
    if len(values) == 1:
        return values[0]
    if not values:
        return None
    return " ".join(_perl_number(v) for v in values)


def _perl_number(v: object) -> str:
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.15g}"
    return str(v)

"""Perl ``pack`` and ``unpack`` for the template letters ExifTool's tables use (perlfunc pack)."""

from __future__ import annotations

import re
import struct

from .scalars import ConversionError, num, pstr

_PACK_RE = re.compile(r"([aAZbBhHcCsSlLqQjJfdFnNvVuUwxX@.])([<>!]*)(\*|\[\d+\]|\d+)?")
_STRUCT = {
    "c": "b",
    "C": "B",
    "s": "h",
    "S": "H",
    "l": "i",
    "L": "I",
    "q": "q",
    "Q": "Q",
    "j": "q",
    "J": "Q",
    "f": "f",
    "d": "d",
    "F": "d",
    "n": "H",
    "N": "I",
    "v": "H",
    "V": "I",
}


def _unpack_text(code: str, raw: bytes, pos: int, n: int, star: bool) -> tuple[str, int]:
    """``a A Z`` (bytes), ``b B`` (bit strings), ``h H`` (hex strings)."""
    if code in "aAZ":
        size = len(raw) - pos if star else n
        chunk = raw[pos : pos + size].decode("latin-1")
        if code == "A":
            chunk = chunk.rstrip(" \x00\t\n\r")
        elif code == "Z":
            chunk = chunk.split("\x00", 1)[0]
        return chunk, pos + size
    if code in "bB":
        bits = len(raw) * 8 - pos * 8 if star else n
        nbytes = (bits + 7) // 8
        chunk = raw[pos : pos + nbytes]
        text = "".join(format(b, "08b")[:: -1 if code == "b" else 1] for b in chunk)
        return text[:bits], pos + nbytes
    digits = (len(raw) - pos) * 2 if star else n
    nbytes = (digits + 1) // 2
    chunk = raw[pos : pos + nbytes]
    text = chunk.hex() if code == "H" else "".join(f"{b & 15:x}{b >> 4:x}" for b in chunk)
    return text[:digits], pos + nbytes


def _unpack_ber(raw: bytes, pos: int, count: int, out: list) -> int:
    """``w``: BER-compressed integers (7 bits a byte, high bit set on all but the last)."""
    while count and pos < len(raw):
        value = 0
        while pos < len(raw):
            b = raw[pos]
            pos += 1
            value = (value << 7) | (b & 0x7F)
            if not b & 0x80:
                break
        out.append(value)
        count -= 1
    return pos


def _unpack_numbers(
    code: str, mods: str, raw: bytes, pos: int, n: int, star: bool, out: list
) -> int:
    fmt = _STRUCT[code]
    if code in "nN":
        order = ">"
    elif code in "vV":
        order = "<"
    else:  # native order (little-endian on the machines ExifTool runs on) unless > is given
        order = ">" if ">" in mods else "<"
    size = struct.calcsize(fmt)
    count = (len(raw) - pos) // size if star else n
    for _ in range(count):
        if pos + size > len(raw):
            break
        value = struct.unpack_from(order + fmt, raw, pos)[0]
        if "!" in mods and code in "nvNV":
            bits = 16 if code in "nv" else 32
            if value >= 1 << (bits - 1):
                value -= 1 << bits
        out.append(value)
        pos += size
    return pos


def _unpack_one(code: str, mods: str, cnt: str | None, raw: bytes, pos: int, out: list) -> int:
    """Unpack one template item at ``pos`` into ``out``; return the new position."""
    star = cnt == "*"
    n = 1 if cnt is None else (0 if star else int(cnt.strip("[]")))
    if code in "aAZbBhH":
        text, pos = _unpack_text(code, raw, pos, n, star)
        out.append(text)
        return pos
    if code == "x":
        return pos + (1 if cnt is None else (0 if star else n))
    if code == "X":
        return max(0, pos - (1 if cnt is None else n))
    if code == "@":
        return n
    if code == "w":
        return _unpack_ber(raw, pos, n if not star else 1 << 30, out)
    if code == "U":
        text = raw[pos:].decode("utf-8", "replace")
        take = text if star else text[:n]
        out.extend(ord(c) for c in take)
        return pos + len(take.encode("utf-8"))
    if code in _STRUCT:
        return _unpack_numbers(code, mods, raw, pos, n, star, out)
    raise ConversionError(f"unpack {code}")


def unpack(args: list) -> list:
    """Perl ``unpack`` for the template letters ExifTool's tables use."""
    template = pstr(args[0])
    data = pstr(args[1]) if len(args) > 1 else ""
    raw = data.encode("latin-1", "replace")
    out: list = []
    pos = 0
    for m in _PACK_RE.finditer(template.replace(" ", "")):
        pos = _unpack_one(m.group(1), m.group(2), m.group(3), raw, pos, out)
    return out


def pack(args: list) -> str:
    """Perl ``pack`` for the simple templates ExifTool's conversions use."""
    template = pstr(args[0])
    values = list(args[1:])
    out = bytearray()
    for m in _PACK_RE.finditer(template.replace(" ", "")):
        code, mods, cnt = m.group(1), m.group(2), m.group(3)
        star = cnt == "*"
        n = 1 if cnt is None else (0 if star else int(cnt.strip("[]")))
        if code in "aAZ":
            s = pstr(values.pop(0) if values else "").encode("latin-1", "replace")
            if star:
                out += s + (b"\x00" if code == "Z" else b"")
            else:
                pad = b" " if code == "A" else b"\x00"
                out += s[:n].ljust(n, pad)
        elif code in "hH":
            s = pstr(values.pop(0) if values else "")
            if not star:
                s = s[:n]
            if len(s) % 2:
                s += "0"
            if code == "h":
                s = "".join(s[i + 1] + s[i] for i in range(0, len(s), 2))
            out += bytes.fromhex(s)
        elif code == "x":
            out += b"\x00" * n
        elif code in _STRUCT:
            fmt = _STRUCT[code]
            order = ">" if code in "nN" or ">" in mods else "<"
            count = len(values) if star else n
            for _ in range(count):
                v = values.pop(0) if values else 0
                x = num(v)
                if fmt in "fd":
                    out += struct.pack(order + fmt, float(x))
                else:
                    bits = struct.calcsize(fmt) * 8
                    out += struct.pack(
                        order + fmt.upper() if fmt.islower() else order + fmt,
                        int(x) & ((1 << bits) - 1),
                    )
        else:
            raise ConversionError(f"pack {code}")
    return out.decode("latin-1")

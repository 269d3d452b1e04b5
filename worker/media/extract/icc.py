"""ICC profile header and description (ICC.1:2022 §7.2 header, §9.2.41 ``desc``, §10.15 ``mluc``).

We read the 128-byte header and a few text tags; the curves and matrices are
left alone (nothing in ``metadata.icc`` needs them). The description is the
``desc`` tag: ``textDescriptionType`` in v2 profiles (an ASCII count and string),
``multiLocalizedUnicodeType`` in v4 (UTF-16BE records; we take en-US, else the first).
"""

from __future__ import annotations

import struct

HEADER_SIZE = 128
MAX_TAGS = 1000
_INTENTS = {
    0: "perceptual",
    1: "relative colorimetric",
    2: "saturation",
    3: "absolute colorimetric",
}


def _sig(raw: bytes) -> str | None:
    text = raw.decode("latin-1").rstrip(" \x00")
    return text or None


def _text_tag(profile: bytes, offset: int, size: int) -> str | None:
    if offset < HEADER_SIZE or offset + min(size, 12) > len(profile) or size < 12:
        return None
    body = profile[offset : offset + size]
    kind = body[:4]
    if kind == b"desc" and len(body) >= 12:
        count = struct.unpack(">I", body[8:12])[0]
        return body[12 : 12 + count].split(b"\x00", 1)[0].decode("latin-1").strip() or None
    if kind == b"text":
        return body[8:].split(b"\x00", 1)[0].decode("latin-1").strip() or None
    if kind == b"mluc" and len(body) >= 16:
        count, rec_size = struct.unpack(">II", body[8:16])
        best = None
        for i in range(min(count, 256)):
            rec = 16 + i * rec_size
            if rec + 12 > len(body):
                break
            lang, country = body[rec : rec + 2], body[rec + 2 : rec + 4]
            length, off = struct.unpack(">II", body[rec + 4 : rec + 12])
            text = body[off : off + length].decode("utf-16-be", "replace").rstrip("\x00").strip()
            if best is None or (lang, country) == (b"en", b"US"):
                best = text
                if (lang, country) == (b"en", b"US"):
                    break
        return best or None
    return None


def read_icc(profile: bytes) -> dict[str, object]:
    """``metadata.icc``: description, colour space, version and the other header fields."""
    if len(profile) < HEADER_SIZE or profile[36:40] != b"acsp":
        return {"valid": False, "size": len(profile)}
    major, minor_bug = profile[8], profile[9]
    out: dict[str, object] = {
        "size": len(profile),
        "version": f"{major}.{minor_bug >> 4}.{minor_bug & 15}",
        "deviceClass": _sig(profile[12:16]),
        "colorSpace": _sig(profile[16:20]),
        "connectionSpace": _sig(profile[20:24]),
        "cmm": _sig(profile[4:8]),
        "platform": _sig(profile[40:44]),
        "manufacturer": _sig(profile[48:52]),
        "model": _sig(profile[52:56]),
        "creator": _sig(profile[80:84]),
        "renderingIntent": _INTENTS.get(struct.unpack(">I", profile[64:68])[0] & 0xFFFF),
    }
    year, month, day, hour, minute, second = struct.unpack(">6H", profile[24:36])
    if year:
        out["created"] = f"{year:04d}:{month:02d}:{day:02d} {hour:02d}:{minute:02d}:{second:02d}"
    count = struct.unpack(">I", profile[128:132])[0] if len(profile) >= 132 else 0
    for i in range(min(count, MAX_TAGS)):
        entry = 132 + 12 * i
        if entry + 12 > len(profile):
            break
        sig, offset, size = struct.unpack(">4sII", profile[entry : entry + 12])
        if sig == b"desc":
            out["description"] = _text_tag(profile, offset, size)
        elif sig == b"cprt":
            out["copyright"] = _text_tag(profile, offset, size)
    return {k: v for k, v in out.items() if v is not None}

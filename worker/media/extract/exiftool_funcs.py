"""ExifTool helper functions that the translated table conversions call.

The Perl in ExifTool's tag tables calls helpers by name
(``Image::ExifTool::Canon::CanonEv($val)``, ``$self->Decode($val, 'UCS2')``,
``Get16u($dataPt, $pos)``). These are their Python equivalents, written from the
behaviour documented in the ExifTool sources named in each docstring; they are
registered in :mod:`.perl` under the names the expressions use. A call to a helper
missing here fails that one conversion (the tag keeps no value), never the file.
"""

from __future__ import annotations

import base64
import re
import struct
import time

from . import perl as P
from .perl import Env, num, pstr, register, register_method


def _bytes(value: object) -> bytes:
    if isinstance(value, P.Ref):
        value = value.value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return pstr(value).encode("latin-1", "replace")


def _order(V: Env) -> str:
    state = V.get("$self") or {}
    return state.get("BYTE_ORDER", "<")


# ------------------------------------------------------------------ data access (ExifTool.pm)


def _getter(code: str, size: int):
    def get(V: Env, data: object, pos: object = 0) -> int | float | None:
        raw = _bytes(data)
        p = int(num(pos))
        if p < 0 or p + size > len(raw):
            return None
        return struct.unpack_from(_order(V) + code, raw, p)[0]

    return get


for _name, _code, _size in (
    ("Get8u", "B", 1),
    ("Get8s", "b", 1),
    ("Get16u", "H", 2),
    ("Get16s", "h", 2),
    ("Get32u", "I", 4),
    ("Get32s", "i", 4),
    ("Get64u", "Q", 8),
    ("GetFloat", "f", 4),
    ("GetDouble", "d", 8),
):
    register(_name, f"Image::ExifTool::{_name}")(_getter(_code, _size))


@register("GetRational64u")
def get_rational64u(V: Env, data: object, pos: object = 0) -> object:
    raw = _bytes(data)
    p = int(num(pos))
    if p < 0 or p + 8 > len(raw):
        return None
    n, d = struct.unpack_from(_order(V) + "II", raw, p)
    if not d:
        return "inf" if n else "undef"
    return float(f"{n / d:.10g}")


@register("GetByteOrder")
def get_byte_order(V: Env) -> str:
    return "II" if _order(V) == "<" else "MM"


@register("SetByteOrder")
def set_byte_order(V: Env, order: object) -> int:
    text = pstr(order)
    if text not in ("II", "MM"):
        return 0
    (V.get("$self") or {})["BYTE_ORDER"] = "<" if text == "II" else ">"
    return 1


@register("IsInt")
def is_int(V: Env, value: object) -> int | str:
    return 1 if re.fullmatch(r"[+-]?\d+", pstr(value)) else ""


@register("IsFloat")
def is_float(V: Env, value: object) -> int | str:
    text = pstr(value)
    return 1 if re.fullmatch(r"[+-]?(?=\d|\.\d)\d*(\.\d*)?([Ee][+-]?\d+)?", text) else ""


@register("ConvertUnixTime")
def convert_unix_time(V: Env, value: object, to_local: object = 0, dec: object = 0) -> str:
    """``ExifTool.pm ConvertUnixTime``: seconds since 1970 as ``YYYY:mm:dd HH:MM:SS`` (UTC)."""
    seconds = num(value)
    if seconds == 0 and pstr(value) in ("", "0"):
        return "0000:00:00 00:00:00"
    try:
        parts = time.localtime(seconds) if P.truth(to_local) else time.gmtime(seconds)
    except (OverflowError, OSError, ValueError):
        raise P.ConversionError("bad time") from None
    return time.strftime("%Y:%m:%d %H:%M:%S", parts)


@register("Exif::IdentifyRawFile")
def identify_raw_file(V: Env, *args: object) -> None:
    """Raw-file type detection only matters for camera raw files, which exifq does not read."""
    return None


@register("PrintHex")
def print_hex(V: Env, value: object) -> str:
    return f"0x{int(num(value)):x}"


@register("MakeTiffHeader")
def make_tiff_header(V: Env, *args: object) -> str:
    raise P.ConversionError("image reconstruction is not supported")


# ------------------------------------------------------------------ methods of $self


@register_method("Decode")
def decode(
    V: Env, value: object, charset: object = None, order: object = None, *rest: object
) -> str:
    """``ExifTool.pm Decode``: re-encode text from ``charset`` into UTF-8 (our output charset)."""
    raw = _bytes(value)
    cs = pstr(charset).upper() if charset is not None else "UTF8"
    if cs in ("UTF8", "UTF-8", ""):
        return raw.decode("latin-1")
    if cs in ("UCS2", "UTF16", "UCS-2", "UTF-16"):
        bo = pstr(order)
        if bo == "II":
            enc = "utf-16-le"
        elif bo == "MM":
            enc = "utf-16-be"
        elif bo == "Unknown" and len(raw) >= 2:
            # guess: more zero high bytes at even positions means big-endian
            even = sum(1 for b in raw[0::2] if b == 0)
            odd = sum(1 for b in raw[1::2] if b == 0)
            enc = "utf-16-be" if even > odd else "utf-16-le"
        else:
            enc = "utf-16-be" if _order(V) == ">" else "utf-16-le"
        text = raw.decode(enc, "replace")
        return text.encode("utf-8").decode("latin-1")
    if cs in ("LATIN", "LATIN1", "CP1252"):
        return raw.decode("cp1252", "replace").encode("utf-8").decode("latin-1")
    if cs == "JIS":
        return raw.decode("iso2022_jp", "replace").encode("utf-8").decode("latin-1")
    return raw.decode("latin-1")


@register_method("Options")
def options(V: Env, name: object, *rest: object) -> object:
    state = V.get("$self") or {}
    return (state.get("OPTIONS") or {}).get(pstr(name))


@register_method("Warn", "WarnOnce")
def warn(V: Env, *args: object) -> int:
    return 1


@register_method("OverrideFileType", "SetPriorityDir", "VPrint")
def ignore(V: Env, *args: object) -> None:
    return None


@register_method("ValidateImage")
def validate_image(V: Env, ref: object, tag: object = None) -> object:
    data = P.deref(ref)
    text = pstr(data)
    if text.startswith("\xff\xd8") or text.startswith("Binary data"):
        return P.Ref(text)
    return None


# ------------------------------------------------------------------ Exif.pm / GPS.pm


@register("Exif::ConvertExifText")
def convert_exif_text(
    V: Env, et: object, value: object, ascii_flex: object = None, tag: object = None
) -> str:
    """``Exif.pm ConvertExifText``: decode UserComment-style text with its 8-byte charset ID."""
    text = pstr(value)
    if len(text) < 8:
        return text
    ident, body = text[:8], text[8:]
    if re.match(r"(ASCII)?(\x00|[\x00 ]+$)", ident):
        return body.split("\x00", 1)[0]
    if re.fullmatch(r"UNICODE[\x00 ]", ident):
        return decode(V, body, "UTF16", "Unknown")
    if re.fullmatch(r"JIS[\x00 ]{5}", ident):
        return decode(V, body, "JIS")
    return ident + body


@register("Exif::ExifDate")
def exif_date(V: Env, value: object) -> str:
    text = pstr(value)
    text = re.sub(r"\x00$", "", text)
    return re.sub(r"(\d{4})[^\d]*(\d{2})[^\d]*(\d{2})$", r"\1:\2:\3", text)


@register("Exif::ExifTime")
def exif_time(V: Env, value: object) -> str:
    text = pstr(value).replace(" ", ":")
    text = re.sub(r"\x00$", "", text)
    text = re.sub(r"^(\d{2})(\d{2})(\d{2})", r"\1:\2:\3", text)
    return re.sub(r"([+-]\d{2})(\d{2})\s*$", r"\1:\2", text)


@register("GPS::ToDegrees")
def to_degrees(V: Env, value: object, do_sign: object = None, coord: object = None) -> object:
    """``GPS.pm ToDegrees``: "deg min sec" (any separators) to decimal degrees."""
    text = pstr(value)
    if re.search(r"\b(inf|undef)\b", text):
        return ""
    parts = re.findall(r"[+-]?(?=\d|\.\d)\d*(?:\.\d*)?(?:[Ee][+-]\d+)?", text)
    if not parts:
        return ""
    d = num(parts[0])
    m = num(parts[1]) if len(parts) > 1 else 0
    s = num(parts[2]) if len(parts) > 2 else 0
    deg = d + (m + s / 60) / 60
    if P.truth(do_sign):
        if re.search(r"[^A-Z](S(outh)?|W(est)?)\s*$", text, re.I):
            deg = -deg
    elif deg < 0:
        deg = -deg if d >= 0 else deg
    return deg


@register("GPS::ConvertTimeStamp")
def convert_time_stamp(V: Env, value: object) -> str:
    """``GPS.pm ConvertTimeStamp``: "h m s" rationals to ``HH:MM:SS[.fff]``."""
    parts = pstr(value).split()
    h, m, s = (num(parts[i]) if len(parts) > i else 0 for i in range(3))
    total = (h * 60 + m) * 60 + s
    hh = int(total / 3600)
    total -= hh * 3600
    mm = int(total / 60)
    total -= mm * 60
    ss = f"{total:012.9f}"
    if float(ss) >= 60:
        ss = "00"
        mm += 1
        if mm >= 60:
            mm -= 60
            hh += 1
    else:
        ss = re.sub(r"\.?0+$", "", ss)
    return f"{hh:02d}:{mm:02d}:{ss}"


# ------------------------------------------------------------------ makers


@register("Canon::CanonEv")
def canon_ev(V: Env, value: object) -> float:
    """``Canon.pm CanonEv``: Canon's 1/32-EV codes, with 1/3 and 2/3 steps made exact."""
    val = int(num(value))
    sign = -1 if val < 0 else 1
    val = abs(val)
    frac = val & 0x1F
    val -= frac
    if frac == 0x0C:
        frac = 0x20 / 3
    elif frac == 0x14:
        frac = 0x40 / 3
    return sign * (val + frac) / 0x20


@register("Canon::CameraISO")
def canon_camera_iso(V: Env, value: object, inverse: object = None) -> object:
    val = int(num(value))
    if val == 0x7FFF:
        return None
    if val & 0x4000:
        return val & 0x3FFF
    lookup = {0: "n/a", 14: "Auto High", 15: "Auto", 16: 50, 17: 100, 18: 200, 19: 400, 20: 800}
    return lookup.get(val, f"Unknown ({val})")


@register("Canon::Validate")
def canon_validate(V: Env, data: object, offset: object, *sizes: object) -> object:
    raw = _bytes(data)
    pos = int(num(offset))
    if pos < 0 or pos + 2 > len(raw):
        return None
    first = struct.unpack_from(_order(V) + "H", raw, pos)[0]
    return 1 if any(num(s) == first for s in sizes) else None


@register("Canon::ValidateAFInfo")
def canon_validate_af_info(V: Env, data: object, offset: object, size: object) -> int:
    raw = _bytes(data)
    pos = int(num(offset))
    if num(size) < 24 or pos < 0 or pos + 12 > len(raw):
        return 0
    af, _, w1, h1, w2, h2 = struct.unpack_from(_order(V) + "6H", raw, pos)
    if af not in (1, 5, 7, 9, 15, 45, 53) or not (h1 and w1):
        return 0
    f1 = w1 / h1
    if any(abs(f1 - r) < 0.01 for r in (1.33, 1.67, 0.75, 0.60)):
        return 1
    if not (h2 and w2) or w1 == h1:
        return 0
    f2 = w2 / h2
    return 1 if abs(1 - f1 / f2) < 0.01 or abs(1 - f1 * f2) < 0.01 else 0


@register("Canon::SwapWords")
def canon_swap_words(V: Env, value: object, *rest: object) -> str:
    words = [int(num(w)) for w in pstr(value).split()]
    return " ".join(str(((w >> 16) | (w << 16)) & 0xFFFFFFFF) for w in words)


@register("Pentax::PentaxEv")
def pentax_ev(V: Env, value: object) -> float:
    val = num(value)
    if int(val) & 0x01:
        sign = -1 if val < 0 else 1
        frac = int(val * sign) & 0x07
        if frac == 0x03:
            val += sign * (8 / 3 - frac)
        elif frac == 0x05:
            val += sign * (16 / 3 - frac)
    return val / 8


@register("Pentax::CryptShutterCount")
def pentax_crypt_shutter_count(V: Env, value: object, et: object = None) -> object:
    """``Pentax.pm CryptShutterCount``: the count is XORed with the camera's date and time."""
    state = V.get("$self") or {}
    date, clock = state.get("PentaxDate"), state.get("PentaxTime")
    if not date or not clock or len(pstr(date)) != 4 or len(pstr(clock)) < 3:
        return None
    d = struct.unpack(">I", _bytes(date))[0]
    t = struct.unpack(">I", (_bytes(clock) + b"\x00")[:4])[0]
    return int(num(value)) ^ d ^ (0xFFFFFFFF - t)


@register("Sony::ConvMeter1")
def sony_conv_meter1(V: Env, value: object, *rest: object) -> object:
    raw = _bytes(value)
    if len(raw) != 90:
        return P.Ref(pstr(value))
    return " ".join(str(v) for v in struct.unpack("<" + "HII" * 9 + "", raw[:90]))


@register("Sony::ConvMeter2")
def sony_conv_meter2(V: Env, value: object, *rest: object) -> object:
    raw = _bytes(value)
    if len(raw) != 110:
        return P.Ref(pstr(value))
    return " ".join(str(v) for v in struct.unpack("<" + "HII" * 11, raw[:110]))


@register("Sony::ConvLensSpec", "ConvLensSpec")
def sony_conv_lens_spec(V: Env, value: object, *rest: object) -> object:
    raw = _bytes(value)
    if len(raw) != 8:
        return P.Ref(pstr(value))
    flags1 = raw[0:1].hex()
    short = int(raw[1:3].hex())
    long_ = int(raw[3:5].hex())
    f_short = int(raw[5:6].hex(), 16) if re.search("[a-f]", raw[5:6].hex()) else int(raw[5:6].hex())
    f_long = int(raw[6:7].hex(), 16) if re.search("[a-f]", raw[6:7].hex()) else int(raw[6:7].hex())
    flags2 = raw[7:8].hex()
    return " ".join([flags1, str(short), str(long_), pstr(f_short / 10), pstr(f_long / 10), flags2])


@register("Samsung::Crypt")
def samsung_crypt(
    V: Env, et: object, value: object, tag: object = None, inverse: object = 0, key: object = ""
) -> str:
    """``Samsung.pm Crypt``: subtract the repeating key digits from each number."""
    keys = [int(k) for k in re.findall(r"\d", pstr(key))] or [0]
    neg = pstr(key).startswith("-")
    values = pstr(value).split()
    out = []
    for i, v in enumerate(values):
        k = keys[i % len(keys)]
        if neg:
            k = -k
        out.append(str(int(num(v)) + (k if P.truth(inverse) else -k)))
    return " ".join(out)


# ------------------------------------------------------------------ XMP.pm


@register("XMP::DecodeBase64")
def decode_base64(V: Env, value: object) -> P.Ref:
    try:
        raw = base64.b64decode(pstr(value), validate=False)
    except (ValueError, TypeError):
        raw = b""
    return P.Ref(raw.decode("latin-1"))


@register("XMP::ConvertXMPDate")
def convert_xmp_date(V: Env, value: object, unsure: object = None) -> str:
    """``XMP.pm ConvertXMPDate``: ISO 8601 date/time to ExifTool's ``YYYY:mm:dd HH:MM:SS``."""
    text = pstr(value)
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}:\d{2})(:\d{2})?\s*(\S*)$", text)
    if m:
        secs = m.group(5) or ""
        return f"{m.group(1)}:{m.group(2)}:{m.group(3)} {m.group(4)}{secs}{m.group(6)}"
    if not P.truth(unsure):
        m = re.match(r"^(\d{4})(-\d{2}){0,2}", text)
        if m:
            return text.replace("-", ":")
    return text


@register("XMP::ConvertRationalList")
def convert_rational_list(V: Env, value: object, *rest: object) -> str:
    """``XMP.pm ConvertRationalList``: space-separated "n/d" values to numbers."""
    out = []
    for item in pstr(value).split():
        m = re.fullmatch(r"(-?\d+)/(-?\d+)", item)
        if m and int(m.group(2)):
            out.append(pstr(P.div(int(m.group(1)), int(m.group(2)))))
        elif m:
            out.append("inf" if int(m.group(1)) else "undef")
        else:
            out.append(item)
    return " ".join(out)


@register("Apple::ConvertPLIST")
def apple_convert_plist(V: Env, value: object, *rest: object) -> object:
    """``Apple.pm ConvertPLIST``: a binary PLIST value decoded (a dict becomes a struct)."""
    from .makernotes import parse_binary_plist, plist_value

    obj = parse_binary_plist(_bytes(value))
    if obj is None:
        return None
    return plist_value(obj)

"""Exif.pm, GPS.pm, IPTC.pm and XMP.pm helpers the tables call (reading and printing).

Written from the behaviour of the subs of the same names in those ExifTool modules.
"""

from __future__ import annotations

import base64
import re
import struct

from .. import perl as P
from ..perl import Env, num, pstr, register
from .base import helper_data
from .core import decode

# ------------------------------------------------------------------ Exif.pm / GPS.pm


@register("Exif::ConvertExifText")
def convert_exif_text(
    V: Env, et: object, value: object, ascii_flex: object = None, tag: object = None, *rest: object
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
def exif_date(V: Env, value: object, *rest: object) -> str:
    text = pstr(value)
    text = re.sub(r"\x00$", "", text)
    return re.sub(r"(\d{4})[^\d]*(\d{2})[^\d]*(\d{2})$", r"\1:\2:\3", text)


@register("Exif::ExifTime")
def exif_time(V: Env, value: object, *rest: object) -> str:
    text = pstr(value).replace(" ", ":")
    text = re.sub(r"\x00$", "", text)
    text = re.sub(r"^(\d{2})(\d{2})(\d{2})", r"\1:\2:\3", text)
    return re.sub(r"([+-]\d{2})(\d{2})\s*$", r"\1:\2", text)


@register("GPS::ToDegrees")
def to_degrees(
    V: Env, value: object, do_sign: object = None, coord: object = None, *rest: object
) -> object:
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
def convert_time_stamp(V: Env, value: object, *rest: object) -> str:
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


# ------------------------------------------------------------------ XMP.pm


@register("XMP::DecodeBase64")
def decode_base64(V: Env, value: object, *rest: object) -> P.Ref:
    try:
        raw = base64.b64decode(pstr(value), validate=False)
    except (ValueError, TypeError):
        raw = b""
    return P.Ref(raw.decode("latin-1"))


@register("XMP::ConvertXMPDate")
def convert_xmp_date(V: Env, value: object, unsure: object = None, *rest: object) -> str:
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


# ------------------------------------------------------------------ printing (PrintConv)


def _is_float(value: object) -> bool:
    return bool(re.fullmatch(r"[+-]?(?=\d|\.\d)\d*(\.\d*)?([Ee][+-]?\d+)?", pstr(value)))


@register("Exif::PrintExposureTime")
def print_exposure_time(V: Env, secs: object, *rest: object) -> object:
    """``Exif.pm PrintExposureTime``: ``1/250`` below a quarter second, else ``0.3``, ``2``."""
    if not _is_float(secs):
        return secs
    value = num(secs)
    if 0 < value < 0.25001:
        return f"1/{int(0.5 + 1 / value)}"
    return re.sub(r"\.0$", "", f"{value:.1f}")


@register("Exif::PrintFNumber")
def print_fnumber(V: Env, value: object, *rest: object) -> object:
    """``Exif.pm PrintFNumber``: one decimal (two below 1)."""
    if _is_float(value) and num(value) > 0:
        x = num(value)
        return f"{x:.2f}" if x < 1 else f"{x:.1f}"
    return value


@register("Exif::PrintFraction")
def print_fraction(V: Env, value: object, *rest: object) -> object:
    """``Exif.pm PrintFraction``: ``+1/3``, ``-2/3``, ``+1``, else ``%+.3g``."""
    if value is None:
        return None
    x = num(value) * 1.00001  # avoid round-off errors, as ExifTool does
    if not x:
        return "0"
    for div, suffix in ((1, ""), (2, "/2"), (3, "/3")):
        whole = int(x * div)
        if whole / (x * div) > 0.999:
            return f"{whole:+d}{suffix}"
    return P.sprintf(["%+.3g", x])


@register("Exif::PrintLensInfo")
def print_lens_info(V: Env, value: object, *rest: object) -> object:
    """``Exif.pm PrintLensInfo``: ``18-55mm f/3.5-5.6`` from the four LensInfo numbers."""
    parts = pstr(value).split()
    if len(parts) != 4:
        return value
    parts = ["?" if p in ("inf", "undef") else p for p in parts]
    if not all(p == "?" or _is_float(p) for p in parts):
        return value
    out = parts[0]
    if P.truth(parts[1]) and parts[1] != parts[0]:
        out += "-" + parts[1]
    out += "mm f/" + parts[2]
    if P.truth(parts[3]) and parts[3] != parts[2]:
        out += "-" + parts[3]
    return out


_CFA_COLORS = ("Red", "Green", "Blue", "Cyan", "Magenta", "Yellow", "White")


@register("Exif::PrintCFAPattern")
def print_cfa_pattern(V: Env, value: object, *rest: object) -> str:
    """``Exif.pm PrintCFAPattern``: ``[Red,Green][Green,Blue]``."""
    a = [int(num(x)) for x in pstr(value).split()]
    if len(a) < 2:
        return "<truncated data>"
    if not (a[0] and a[1]):
        return "<zero pattern size>"
    end = 2 + a[0] * a[1]
    if end > len(a):
        return "<invalid pattern size>"
    rows = []
    for row in range(a[0]):
        cells = a[2 + row * a[1] : 2 + (row + 1) * a[1]]
        rows.append(",".join(_CFA_COLORS[c] if 0 <= c < 7 else "Unknown" for c in cells))
    return "[" + "][".join(rows) + "]"


@register("Exif::DecodeCFAPattern")
def decode_cfa_pattern(V: Env, et: object, value: object, *rest: object) -> object:
    """``Exif.pm DecodeCFAPattern``: dimensions (in either byte order) and colour codes."""
    text = pstr(value)
    if re.fullmatch(r"[0-6]+", text):  # written as ASCII digits by some Panasonic models
        text = "".join(chr(ord(c) - 48) for c in text)
    raw = text.encode("latin-1", "replace")
    if len(raw) < 4:
        return value
    order = ">" if (V.get("$self") or {}).get("BYTE_ORDER") == ">" else "<"
    rows, cols = struct.unpack_from(order + "HH", raw)
    colors = list(raw[4:])
    if len(colors) < rows * cols:
        swapped = struct.unpack_from((">" if order == "<" else "<") + "HH", raw)
        if len(colors) >= swapped[0] * swapped[1]:
            rows, cols = swapped  # stored in the other byte order (some Nikon bodies)
    return " ".join(str(v) for v in (rows, cols, *colors))


@register("Exif::PrintSFR")
def print_sfr(V: Env, value: object, *rest: object) -> object:
    """``Exif.pm PrintSFR``: spatial frequency response as ``col=v,v; col=v,v``."""
    raw = P.deref(value)
    data = pstr(raw).encode("latin-1", "replace")
    if len(data) <= 4:
        return value
    order = (V.get("$self") or {}).get("BYTE_ORDER", "<")
    n, m = struct.unpack_from(order + "HH", data)
    cols = data[4:].split(b"\x00", n)
    pos = len(data) - 8 * n * m
    if len(cols) != n + 1 or pos < 4:
        return value
    out = []
    for i in range(n):
        rows = []
        for j in range(m):
            num_, den = struct.unpack_from(order + "II", data, pos + 8 * (i + j * n))
            rows.append(pstr(P.div(num_, den)) if den else ("inf" if num_ else "undef"))
        out.append(cols[i].decode("latin-1") + "=" + ",".join(rows))
    return "; ".join(out)


@register("Exif::PrintOpcode")
def print_opcode(
    V: Env, value: object, inverse: object = None, conv: object = None, *rest: object
) -> object:
    """``Exif.pm PrintOpcode``: the names of a DNG opcode list's opcodes."""
    data = pstr(P.deref(value)).encode("latin-1", "replace")
    if len(data) <= 4:
        return ""
    names = conv if isinstance(conv, dict) else {}
    ops = []
    pos = 4
    for _ in range(struct.unpack_from(">I", data)[0]):
        if pos + 16 > len(data):
            ops.append("<err>")
            break
        op, _ver, _flags, length = struct.unpack_from(">4I", data, pos)
        ops.append(pstr(names.get(str(op))) or f"[opcode {op}]")
        pos += 16 + length
    return ", ".join(ops)


@register("Exif::PrintParameter")
def print_parameter(
    V: Env, value: object, inverse: object = None, conv: object = None, *rest: object
) -> object:
    """``Exif.pm PrintParameter``: ``+1``, or a negative number stored unsigned."""
    x = num(value)
    if x > 0:
        return x - 0x10000 if x > 0xFFF0 else f"+{pstr(value)}"
    return value


@register("GPS::PrintTimeStamp")
def print_time_stamp(V: Env, value: object, *rest: object) -> object:
    """``GPS.pm PrintTimeStamp``: seconds rounded to 6 decimals, two digits before the point."""
    m = re.match(r"(.*):(\d{2}\.\d+)$", pstr(value), re.S)
    if not m:
        return value
    s = int(float(m.group(2)) * 1000000 + 0.5) / 1000000
    text = pstr(s)
    return f"{m.group(1)}:{'0' + text if s < 10 else text}"


@register("GPS::ToDMS")
def to_dms(
    V: Env, et: object, value: object, print_conv: object = None, ref: object = None, *rest: object
) -> object:
    """``GPS.pm ToDMS`` for printing (``doPrintConv`` 1): ``47 deg 30' 12.34" N``."""
    text = pstr(value)
    if not text:
        return value if pstr(print_conv) == "1" else None
    x = num(value)
    suffix = ""
    if P.truth(ref):
        if x < 0:
            x = -x
            ref = {"N": "S", "E": "W"}.get(pstr(ref), ref)
        suffix = "" if pstr(print_conv) == "2" else f" {pstr(ref)}"
    else:
        x = abs(x)
    if pstr(print_conv) != "1":
        raise P.ConversionError("ToDMS is only translated for printing")
    degrees = int(x)
    minutes = int((x - degrees) * 60)
    seconds = float(f"{(x - degrees - minutes / 60) * 3600:.2f}")
    if seconds >= 60:
        seconds -= 60
        minutes += 1
        if minutes >= 60:
            minutes -= 60
            degrees += 1
    return f"{degrees} deg {minutes}' {seconds:.2f}\"{suffix}"


@register("IPTC::PrintCodedCharset")
def print_coded_charset(V: Env, value: object, *rest: object) -> str:
    """``IPTC.pm PrintCodedCharset``: ``UTF8`` for ``ESC % G``, else the bytes spelled out."""
    names = helper_data("IPTC::PrintCodedCharset", "%iptcCharset") or {}
    text = pstr(value)
    if names.get(text):
        return pstr(names[text])
    spaced = re.sub(r"(.)", r" \1", text, flags=re.S).replace(" \x1b", ", ESC")
    return re.sub(r"^,? ", "", spaced)


@register("IPTC::ConvertPictureNumber")
def convert_picture_number(V: Env, value: object, *rest: object) -> str:
    """``WriteIPTC.pl ConvertPictureNumber``: manufacturer, equipment, date, number."""
    raw = pstr(value).encode("latin-1", "replace")
    if raw == b"\x00" * 16:
        return "Unknown"
    if len(raw) < 16:
        return "<format error>"
    maker, equip, date, number = struct.unpack(">HI8sH", raw[:16])
    names = helper_data("IPTC::ConvertPictureNumber", "%manufacturer") or {}
    out = str(maker) + (f" ({names[str(maker)]})" if names.get(str(maker)) else "")
    date_text = re.sub(r"(\d{4})(\d{2})(\d{2})", r"\1:\2:\3", date.decode("latin-1").rstrip())
    return f"{out}, equip {equip}, {date_text}, no. {number}"


@register("PDF::ConvertPDFDate")
def convert_pdf_date(V: Env, value: object, *rest: object) -> str:
    """``PDF.pm ConvertPDFDate``: ``D:20240102030405+01'00'`` as ``2024:01:02 03:04:05+01:00``."""
    text = re.sub(r"^D:", "", pstr(value))
    default = "00000101000000"
    if len(text) < len(default):
        text += default[len(text) :]
    m = re.match(r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(.*)", text, re.S)
    if not m:
        return text
    out = f"{m[1]}:{m[2]}:{m[3]} {m[4]}:{m[5]}:{m[6]}"
    zone = m[7]
    if re.match(r"\s*Z", zone, re.I):
        return out + "Z"
    z = re.match(r"\s*([-+])\s*(\d+)[': ]+(\d*)", zone)
    return out + f"{z[1]}{z[2]}:{z[3] or '00'}" if z else out

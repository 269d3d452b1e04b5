"""ExifTool.pm's helpers the tables call: data access, numbers, dates, and ``$self`` methods.

Written from the behaviour of the ExifTool.pm subs of the same names.
"""

from __future__ import annotations

import re
import struct
import time

from .. import perl as P
from ..perl import Env, num, pstr, register, register_method
from .base import as_bytes as _bytes
from .base import byte_order as _order

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


@register("GetFixed32s")
def get_fixed32s(V: Env, data: object, pos: object = 0, *rest: object) -> object:
    """A signed 16.16 fixed-point number, rounded to 5 decimals as ExifTool.pm does."""
    value = P.resolve("Get32s")(V, data, pos)
    if value is None:
        return None
    value /= 0x10000
    return P.div(int(value * 1e5 + (0.5 if value > 0 else -0.5)), 100000)


@register("ConvertFileSize")
def convert_file_size(V: Env, value: object, *rest: object) -> str:
    """A byte count for people: ``1.5 kB``, ``12 MB`` (SI units, ExifTool's default)."""
    x = num(value)
    for limit, fmt, unit in (
        (1e4, "%.1f kB", 1e3),
        (2e6, "%.0f kB", 1e3),
        (1e7, "%.1f MB", 1e6),
        (2e9, "%.0f MB", 1e6),
        (1e10, "%.1f GB", 1e9),
    ):
        if x < 2000:
            return f"{pstr(value)} bytes"
        if x < limit:
            return P.sprintf([fmt, x / unit])
    return P.sprintf(["%.0f GB", x / 1e9])


@register("GetRational64u")
def get_rational64u(V: Env, data: object, pos: object = 0, *rest: object) -> object:
    raw = _bytes(data)
    p = int(num(pos))
    if p < 0 or p + 8 > len(raw):
        return None
    n, d = struct.unpack_from(_order(V) + "II", raw, p)
    if not d:
        return "inf" if n else "undef"
    return float(f"{n / d:.10g}")


@register("GetByteOrder")
def get_byte_order(V: Env, *rest: object) -> str:
    return "II" if _order(V) == "<" else "MM"


@register("SetByteOrder")
def set_byte_order(V: Env, order: object, *rest: object) -> int:
    text = pstr(order)
    if text not in ("II", "MM"):
        return 0
    (V.get("$self") or {})["BYTE_ORDER"] = "<" if text == "II" else ">"
    return 1


@register("IsInt")
def is_int(V: Env, value: object, *rest: object) -> int | str:
    return 1 if re.fullmatch(r"[+-]?\d+", pstr(value)) else ""


@register("IsFloat")
def is_float(V: Env, value: object, *rest: object) -> int | str:
    text = pstr(value)
    return 1 if re.fullmatch(r"[+-]?(?=\d|\.\d)\d*(\.\d*)?([Ee][+-]?\d+)?", text) else ""


@register("ConvertUnixTime")
def convert_unix_time(
    V: Env, value: object, to_local: object = 0, dec: object = 0, *rest: object
) -> str:
    """``ExifTool.pm ConvertUnixTime``: seconds since 1970 as ``YYYY:mm:dd HH:MM:SS`` (UTC)."""
    seconds = num(value)
    if seconds == 0 and pstr(value) in ("", "0"):
        return "0000:00:00 00:00:00"
    try:
        parts = time.localtime(seconds) if P.truth(to_local) else time.gmtime(seconds)
    except (OverflowError, OSError, ValueError):
        # Perl's gmtime gives an empty list past year 2**31 ("too large"), which ExifTool
        # formats as this (a corrupt or hostile 64-bit time)
        return "1900:01:00 00:00:00"
    return time.strftime("%Y:%m:%d %H:%M:%S", parts)


@register("Exif::IdentifyRawFile")
def identify_raw_file(V: Env, *args: object) -> None:
    """Raw-file type detection only matters for camera raw files, which exifq does not read."""
    return None


@register("PrintHex")
def print_hex(V: Env, value: object, *rest: object) -> str:
    return f"0x{int(num(value)):x}"


@register("MakeTiffHeader")
def make_tiff_header(V: Env, *args: object) -> str:
    raise P.ConversionError("image reconstruction is not supported")


@register("PLUS::ValidateMediaSummary")
def validate_media_summary(V: Env, *args: object) -> str:
    """Called only by the inverse (writing) branch of the Media Summary Code conversion."""
    raise P.ConversionError("writing PLUS media summary codes is not supported")


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


@register_method("FoundTag")
def found_tag(V: Env, name: object, value: object = None, *rest: object) -> int:
    """``$self->FoundTag(Name => $val)``: the reader running the expression stores it."""
    store = (V.get("$self") or {}).get("FOUND_TAG")
    if store is None:
        raise P.ConversionError("FoundTag outside a reader")
    store(pstr(name), value)
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


@register_method("ExtractInfo")
def extract_info(V: Env, *args: object) -> None:
    """Reading a document nested in a tag (Hasselblad's EXIF copy) is not supported."""
    raise P.ConversionError("nested documents (ExtractInfo) are not read by exifq")


@register_method("ConvertDateTime")
def convert_date_time(V: Env, date: object) -> object:
    """``ExifTool.pm ConvertDateTime``: unchanged without a ``DateFormat`` option (exifq's case)."""
    return date


@register_method("Printable")
def printable(V: Env, text: object = None, max_len: object = None) -> str:
    """``ExifTool.pm Printable``: control and high bytes as ``.``, at most 60 characters."""
    if text is None:
        return "(undef)"
    out = re.sub(r"[\x01-\x1f\x7f-\xff]", ".", pstr(text)).replace("\x00", "")
    if max_len is None:
        limit = 60
    elif P.truth(max_len):
        limit = max(20, int(num(max_len)))
    else:
        limit = len(out)
    return out[: limit - 6] + "[snip]" if len(out) > limit else out


@register("DecodeBits")
def decode_bits(
    V: Env, value: object, lookup: object = None, bits: object = None, *rest: object
) -> str:
    """``ExifTool.pm DecodeBits``: the set bits of each word by name (or number)."""
    table = lookup if isinstance(lookup, dict) else None
    return P.decode_bits(value, table, int(num(bits)) if P.truth(bits) else 32)


@register("TimeZoneString")
def time_zone_string(V: Env, minutes: object, *rest: object) -> str:
    """``ExifTool.pm TimeZoneString``: minutes east of UTC as ``+hh:mm``."""
    value = num(minutes)
    sign = "-" if value < 0 else "+"
    value = int(abs(value) + 0.5)
    return f"{sign}{value // 60:02d}:{value % 60:02d}"


@register("ConvertDuration")
def convert_duration(V: Env, value: object, *rest: object) -> object:
    """``ExifTool.pm ConvertDuration``: seconds as ``12.34 s`` or ``[D days ]H:MM:SS``."""
    if not is_float(V, value):
        return value
    seconds = num(value)
    if seconds == 0:
        return "0 s"
    sign = "" if seconds > 0 else "-"
    seconds = abs(seconds)
    if seconds < 30:
        return f"{sign}{seconds:.2f} s"
    seconds += 0.5
    hours = int(seconds / 3600)
    seconds -= hours * 3600
    minutes = int(seconds / 60)
    seconds -= minutes * 60
    if hours > 24:
        days = int(hours / 24)
        hours -= days * 24
        sign = f"{sign}{days} days "
    return f"{sign}{hours}:{minutes:02d}:{int(seconds):02d}"


@register("ConvertBitrate")
def convert_bitrate(V: Env, value: object, *rest: object) -> object:
    """``ExifTool.pm ConvertBitrate``: bits per second with a unit (``1.5 Mbps``)."""
    if not is_float(V, value):
        return value
    rate = num(value)
    units = ["bps", "kbps", "Mbps", "Gbps"]
    unit = units.pop(0)
    while rate >= 1000 and units:
        rate /= 1000
        unit = units.pop(0)
    return P.sprintf(["%.3g " + unit if rate < 100 else "%.0f " + unit, rate])


@register("ASF::GetGUID")
def get_guid(V: Env, value: object, *rest: object) -> object:
    """``ASF.pm GetGUID``: 16 bytes as a GUID string (the first three fields little-endian)."""
    raw = _bytes(value)
    if len(raw) != 16:
        return value
    a, b, c = struct.unpack_from("<IHH", raw)
    tail = raw[8:].hex()
    return f"{a:08x}-{b:04x}-{c:04x}-{tail[:4]}-{tail[4:]}".upper()


@register("LimitLongValues")
def limit_long_values(V: Env, value: object, et: object = None, *rest: object) -> str:
    """``ExifTool.pm LimitLongValues`` (13.x): cut printed values at the option's length."""
    text = pstr(value)
    state = et if isinstance(et, dict) else V.get("$self") or {}
    limit = int(num((state.get("OPTIONS") or {}).get("LimitLongValues") or 0))
    return text[: limit - 5] + "[...]" if limit >= 5 and len(text) > limit else text

"""ExifTool's QuickTime, Matroska and RIFF helpers that the translated table conversions call.

Python equivalents written from the behaviour of the subs of the same names in
``lib/Image/ExifTool/QuickTime.pm`` and ``RIFF.pm`` (ExifTool 12.57), registered in
:mod:`worker.media.extract.perl` like :mod:`worker.media.extract.exiftool_funcs`; a helper
missing here fails only its own conversion. Importing this module registers them.
"""

from __future__ import annotations

import re
import struct

from worker.media.extract import perl as P
from worker.media.extract.perl import Env, num, pstr, register

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def _bytes(value: object) -> bytes:
    if isinstance(value, P.Ref):
        value = value.value
    return pstr(value).encode("latin-1", "replace")


def unpack_lang(code: int, no_default: bool = False) -> str | None:
    """``UnpackLang``: an ISO 639-2/T code packed in three 5-bit letters; ``None`` for the
    default language (none, ``und`` or ``eng``), ``"err"`` for a malformed one."""
    if not code:
        return None
    lang = "".join(chr(((code >> shift) & 0x1F) + 0x60) for shift in (10, 5, 0))
    if not re.fullmatch(r"[a-z]+", lang):
        return "err"
    if lang in ("und", "eng") and not no_default:
        return None
    return lang


def lang_code(lang: int, country: int, no_default: bool = False) -> str | None:
    """``GetLangCode``: ``"fra-FR"``-style code of an ``ilst`` ``data`` atom, ``None`` when
    it is the default (values up to 255 are list indices, ignored as ExifTool does)."""
    code = unpack_lang(lang if lang > 255 else 0, no_default)
    if country > 255:
        text = struct.pack(">H", country).decode("latin-1")
        if text != "ZZ" and re.fullmatch(r"[A-Z]{2}", text):
            code = f"{code or 'und'}-{text}"
    return code


def _num(text: str) -> str:
    return pstr(num(text) + 0)


def _parse_sexagesimal(text: str) -> str | None:
    for pattern in (
        r"([-+])(\d{2})(\d{2}(?:\.\d*)?)([-+])(\d{3})(\d{2}(?:\.\d*)?)",
        r"([-+])(\d{2})(\d{2})(\d{2}(?:\.\d*)?)([-+])(\d{3})(\d{2})(\d{2}(?:\.\d*)?)",
    ):
        m = re.match(pattern + r"([-+]\d+(?:\.\d*)?)?", text)
        if not m:
            continue
        g = m.groups()
        half = len(g) // 2
        lat = sum(float(x) / 60**i for i, x in enumerate(g[1:half]))
        lon = sum(float(x) / 60**i for i, x in enumerate(g[half + 1 : 2 * half]))
        lat, lon = (-lat if g[0] == "-" else lat), (-lon if g[half] == "-" else lon)
        out = f"{pstr(lat)} {pstr(lon)}"
        if g[-1]:
            out += " " + _num(g[-1])
        return out
    return None


def iso6709(value: object) -> str:
    """``ConvertISO6709``: ``+DD.DDDD+DDD.DDDD+AAA.AAA/`` (and the DDMM.MMM and DDMMSS.SSS
    forms, ISO 6709 Annex H) as ``"lat lon [alt]"`` in decimal degrees; else unchanged."""
    text = pstr(value)
    m = re.match(r"([-+]\d{1,2}(?:\.\d*)?)([-+]\d{1,3}(?:\.\d*)?)([-+]\d+(?:\.\d*)?)?", text)
    if m:
        out = f"{_num(m.group(1))} {_num(m.group(2))}"
        if m.group(3):
            out += " " + _num(m.group(3))
        return out
    return _parse_sexagesimal(text) or text


@register("QuickTime::ConvertISO6709", "ConvertISO6709")
def _convert_iso6709(V: Env, value: object, *rest: object) -> str:
    return iso6709(value)


@register("QuickTime::FixWrongFormat", "FixWrongFormat")
def _fix_wrong_format(V: Env, value: object, *rest: object) -> object:
    """``FixWrongFormat``: Pentax writes ImageWidth/Height as 16-bit values in a 32-bit field."""
    if not P.truth(value):
        return None
    number = int(num(value))
    return number >> 16 if number & 0xFFF00000 else value


@register("QuickTime::CalcSampleRate", "CalcSampleRate")
def _calc_sample_rate(V: Env, state: object, ref: object, *rest: object) -> object:
    """``CalcSampleRate``: samples per second from an ``stts`` time-to-sample table."""
    data = _bytes(ref)
    words = struct.unpack(f">{len(data) // 4}I", data[: len(data) // 4 * 4])
    count = duration = 0
    for i in range(2, len(words) - 1, 2):
        count += words[i]
        duration += words[i] * words[i + 1]
    scale = (state or {}).get("MediaTS") if isinstance(state, dict) else None
    if not count or not duration or not P.truth(scale):
        return None
    return P.div(P.mul(count, scale), duration)


@register("QuickTime::UnpackLang", "UnpackLang")
def _unpack_lang(V: Env, value: object, no_default: object = None, *rest: object) -> object:
    return unpack_lang(int(num(value)), P.truth(no_default))


@register("QuickTime::ConvertChapterList", "ConvertChapterList")
def _chapter_list(V: Env, value: object, *rest: object) -> object:
    """``ConvertChapterList``: a Nero ``chpl`` list as ``"seconds title"`` items."""
    data = _bytes(value)
    if len(data) < 9:
        return "<invalid>"
    chapters, pos = [], 9
    for _ in range(data[8]):
        if pos + 9 > len(data):
            break
        start, length = struct.unpack_from(">QB", data, pos)
        if pos + 9 + length > len(data):
            break
        title = data[pos + 9 : pos + 9 + length].decode("latin-1")
        chapters.append(f"{pstr(P.div(start, 10_000_000))} {title}")
        pos += 9 + length
    return chapters


@register("RIFF::ConvertRIFFDate", "ConvertRIFFDate")
def _riff_date(V: Env, value: object, *rest: object) -> str:
    """``ConvertRIFFDate``: the date forms AVI writers use, as ``YYYY:mm:dd HH:MM:SS``."""
    text = pstr(value)
    parts = text.split()
    if len(parts) >= 5 and parts[1][:3].lower() in _MONTHS and re.fullmatch(r"\d+", parts[2]):
        # "Mon Mar 10 15:04:43 2003"
        month = _MONTHS.index(parts[1][:3].lower()) + 1
        return f"{parts[4]}:{month:02d}:{int(parts[2]):02d} {parts[3]}"
    m = re.fullmatch(r"(\d{4})[-/:](\d{2})[-/:](\d{2})[ T](\d{2}:\d{2}:\d{2})\s*", text)
    if m:
        return f"{m.group(1)}:{m.group(2)}:{m.group(3)} {m.group(4)}"
    m = re.fullmatch(r"(\d{4})/\s*(\d+)/\s*(\d+)\s+(\d+):\s*(\d+)(?::\s*(\d+))?.*", text)
    if m:
        y, mo, d, h, mi, s = (int(x or 0) for x in m.groups())
        return f"{y:04d}:{mo:02d}:{d:02d} {h:02d}:{mi:02d}:{s:02d}"
    return text


def _matrix_structure(V: Env) -> str:
    """QuickTime.pm MatrixStructure ``ValueConv``: the u, v, w column (2.30 fixed point,
    read as 16.16) divided by 16384, ``foreach @a[2,5,8]``, which aliases the elements."""
    items = P.pstr(V.get("$val")).split()
    for i in (2, 5, 8):
        if i < len(items):
            items[i] = P.pstr(P.div(items[i], 16384))
    return " ".join(items)


def _compatible_brands(V: Env) -> list[str]:
    """QuickTime.pm CompatibleBrands ``ValueConv``: the 4-character brands without NULs,
    as a list (``\\@a``)."""
    text = P.pstr(V.get("$val"))
    return [text[i : i + 4] for i in range(0, len(text) - 3, 4) if "\0" not in text[i : i + 4]]


# ValueConvs whose generated translation is wrong (a foreach over an array slice, which
# aliases its elements; an array reference returned), written from QuickTime.pm.
CONVERSIONS = {"MatrixStructure": _matrix_structure, "CompatibleBrands": _compatible_brands}

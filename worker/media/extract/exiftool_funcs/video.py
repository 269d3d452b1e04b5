"""Video helpers the tables call (QuickTime.pm, RIFF.pm: the containers of worker.media.video).

Written from the behaviour of the subs of the same names in those ExifTool modules
(12.57, and what 13.x added).
"""

from __future__ import annotations

import re
import struct

from .. import perl as P
from ..perl import Env, num, pstr, register
from .base import helper_data

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


@register("QuickTime::EEWarn", "EEWarn")
def _ee_warn(V: Env, *args: object) -> None:
    """``EEWarn`` (13.x): a minor warning that ``-ee`` would find more; exifq has no ``-ee``
    and, as for ``$self->Warn`` in the other tables, issues none."""
    return None


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


@register("RIFF::ConvertTimecode")
def _riff_timecode(V: Env, value: object, *rest: object) -> str:
    """``RIFF.pm ConvertTimecode`` (PrintConv): seconds as ``H:MM:SS.ss``."""
    seconds = num(value)
    hours = int(seconds / 3600)
    seconds -= hours * 3600
    minutes = int(seconds / 60)
    seconds -= minutes * 60
    text = P.sprintf(["%05.2f", seconds])
    if num(text) >= 60:  # (round-off)
        text, minutes = "00.00", minutes + 1
        if minutes >= 60:
            minutes, hours = minutes - 60, hours + 1
    return f"{hours}:{minutes:02d}:{text}"


@register("QuickTime::PrintChapter")
def _print_chapter(V: Env, value: object, *rest: object) -> object:
    """``QuickTime.pm PrintChapter``: ``"seconds title"`` as ``[H:MM:SS.sss] title``."""
    m = re.match(r"(\S+) (.*)", pstr(value), re.S)
    if not m:
        return value
    seconds = num(m.group(1))
    hours = int(seconds / 3600)
    seconds -= hours * 3600
    minutes = int(seconds / 60)
    text = P.sprintf(["%06.3f", seconds - minutes * 60])
    if num(text) >= 60:
        text, minutes = "00.000", minutes + 1
        if minutes >= 60:
            minutes, hours = minutes - 60, hours + 1
    return f"[{hours}:{minutes:02d}:{text}] {m.group(2)}"


@register("QuickTime::PrintGPSCoordinates")
def _print_gps_coordinates(V: Env, value: object, *rest: object) -> str:
    """``QuickTime.pm PrintGPSCoordinates``: ``lat lon [alt]`` as ExifTool prints GPS."""
    parts = pstr(value).split()
    parts += [None] * (2 - len(parts))
    to_dms = P.resolve("GPS::ToDMS")
    text = f"{to_dms(V, None, parts[0], 1, 'N')}, {to_dms(V, None, parts[1], 1, 'E')}"
    if len(parts) > 2:
        alt = num(parts[2])
        above = f"{pstr(-alt)} m Below" if alt < 0 else f"{parts[2]} m Above"
        text += f", {above} Sea Level"
    return text


@register("ID3::PrintGenre")
def _print_genre(V: Env, value: object, *rest: object) -> str:
    """``ID3.pm PrintGenre``: genre numbers (``(17)``, ``17/20``) as ID3's genre names,
    from ``%genre`` of the installed ExifTool."""
    names = helper_data("ID3::PrintGenre", "%genre") or {}

    def name(number: str) -> str:
        return pstr(names.get(number) or f"Unknown ({number})")

    text = re.sub(r"\((\d+)\)", lambda m: f"({name(m.group(1))})", pstr(value))
    text = re.sub(r"(^|/)(\d+)(?=/|$)", lambda m: m.group(1) + name(m.group(2)), text)
    return re.sub(r"^\(([^)]+)\)(?:\1)?$", r"\1", text, flags=re.S)


# ---------------------------------------------------------------- read, never shown


# ``ParseItemInfoEntry`` & co. (the RawConv of a ``meta`` box's ``infe iloc ipma cdsc``)
# fill ExifTool's item list for ``HandleItemInfo`` (HEIF's item-based Exif and XMP) and
# return undef: the tags themselves are never shown, so returning undef gives ExifTool's
# output. exifq reads HEIF images with its image reader (worker.media.containers);
# the video walker does not resolve items (a movie keeps its metadata in moov/udta/meta).
@register(
    "QuickTime::ParseItemInfoEntry",
    "QuickTime::ParseItemLocation",
    "QuickTime::ParseItemPropAssoc",
    "QuickTime::ParseContentDescribes",
)
def _item_table(V: Env, *args: object) -> None:
    return None


@register("QuickTime::ProcessGPSLog", "QuickTime::GetTagTable", "GetTagTable")
def _embedded(V: Env, *args: object) -> None:
    """Only reached with ExifTool's ``ExtractEmbedded`` (``-ee``) option, which exifq has not."""
    raise P.ConversionError("embedded data in the media (ExifTool's -ee) is not read by exifq")

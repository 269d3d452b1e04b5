"""The value encodings of QuickTime metadata boxes, as ExifTool's ``ProcessMOV`` reads them.

* ``ilst`` items hold ``data`` atoms: ``size 'data' flags:u32 country:u16 language:u16``
  then the value, typed by ``flags`` (UTF-8, UTF-16, Shift-JIS, integers, floats, images;
  the "well-known types" of the QuickTime File Format, Metadata chapter);
* ``udta`` ``©xxx`` boxes and 3GPP text boxes hold "international text": records of
  ``length:u16 language:u16 text`` (``IText`` headers of other lengths for 3GPP boxes);
* a ``keys`` box names the ``ilst`` items by index (``mdta`` keys such as
  ``com.apple.quicktime.make``), looked up in ExifTool's Keys, ItemList and UserData tables.

Language variants become tags named ``Name-lang`` (``Title-fra-FR``), as ExifTool names them.
Strings stay in the engine's representation (UTF-8 bytes as a latin-1 ``str``).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator

from worker.media.extract import perl as P
from worker.media.extract.exiftool_funcs.video import lang_code, unpack_lang
from worker.media.extract.tabletypes import Table, Tag
from worker.media.extract.valueformats import FORMAT_SIZE, read_value

# QuickTime.pm %stringEncoding: data-atom flags of text values
_STRING_ENCODING = {1: "utf-8", 2: "utf-16-be", 3: "shift_jis", 4: "utf-8", 5: "utf-16-be"}
_INT_FORMATS = {1: "int8", 2: "int16", 4: "int32", 8: "int64"}


def count_of(tag: Tag, fmt: str, length: int) -> int:
    """The value count ``ReadValue`` uses: the tag's ``Count``, else all the bytes hold."""
    if isinstance(tag.count, int) and tag.count > 0:
        return tag.count
    return max(1, length // FORMAT_SIZE.get(fmt, 1))


def _text(raw: bytes, encoding: str) -> str:
    """Text in ``encoding`` as UTF-8 bytes in a latin-1 ``str`` (ExifTool's ``Decode``)."""
    if encoding == "utf-8":
        return raw.decode("latin-1")
    return raw.decode(encoding, "replace").encode("utf-8").decode("latin-1")


def _qt_format(flags: int, length: int) -> str | None:
    """``QuickTimeFormat``: the value format of a non-text ``data`` atom."""
    if flags in (0x15, 0x16):
        size = _INT_FORMATS.get(length)
        return size + ("s" if flags == 0x15 else "u") if size else None
    if flags == 0x17:
        return "float"
    if flags == 0x18:
        return "double"
    if flags == 0:
        return {1: "int8u", 2: "int16u"}.get(length)
    return None


def lang_tag(tag: Tag, code: str) -> Tag:
    """ExifTool's ``GetLangInfo``: the alternate-language tag ``Name-code``."""
    return renamed(tag, f"{tag.name}-{code}")


def renamed(tag: Tag, name: str) -> Tag:
    """A copy of ``tag`` under another name (everything else kept)."""
    copy = Tag(name)
    for slot in Tag.__slots__:
        if slot != "name":
            setattr(copy, slot, getattr(tag, slot))
    return copy


def data_atoms(tag: Tag, val: bytes) -> Iterator[tuple[Tag, object]]:
    """The values of the ``data`` atoms of one ``ilst`` item."""
    pos, size = 0, len(val)
    while pos + 16 <= size:
        length, kind, flags, country, lang = struct.unpack_from(">I4sIHH", val, pos)
        if not length or pos + length > size:
            return
        value: object = None
        if kind == b"data" and length >= 16:
            raw = val[pos + 16 : pos + length]
            value = _data_value(tag, raw, flags)
        found = tag
        if country or lang:
            code = lang_code(lang, country)
            if code:
                found = lang_tag(tag, code)
        if value is not None:
            yield found, value
        pos += length


def _data_value(tag: Tag, raw: bytes, flags: int) -> object:
    encoding = _STRING_ENCODING.get(flags)
    if encoding:
        text = _text(raw, encoding)
        return text if "Binary" in tag.flags else text.removesuffix("\0")
    fmt = tag.fmt
    if not fmt:
        fmt = _qt_format(flags, len(raw))
    elif m := re.fullmatch(r"int\d+([us])", fmt):
        size = {1: "int8", 2: "int16", 4: "int32"}.get(len(raw))
        fmt = size + m.group(1) if size else fmt
    if fmt:
        return read_value(raw, 0, fmt, count_of(tag, fmt, len(raw)), ">")
    if tag.conv is None:
        return P.Ref(raw.decode("latin-1"))
    return raw.decode("latin-1")


def itext_values(
    tag: Tag, val: bytes, itext: int | None, no_decode: bool
) -> Iterator[tuple[Tag, object]]:
    """International text records of a ``©xxx`` or 3GPP ``udta`` box."""
    size, pos = len(val), 0
    if tag.fmt:
        yield tag, read_value(val, 0, tag.fmt, count_of(tag, tag.fmt, size), ">")
        pos = size
    while True:
        if itext and itext >= 6:
            if pos + itext > size:
                return
            pos += itext - 2
            lang = struct.unpack_from(">H", val, pos)[0]
            pos += 2
            length = size - pos
        else:
            if pos + 4 > size:
                return
            length, lang = struct.unpack_from(">HH", val, pos)
            pos += 4
            if pos + length > size:
                length -= 4
                if pos + length > size or length < 0:
                    return
        if not length and pos:
            continue
        raw = val[pos : pos + length]
        code, encoding = _itext_lang(lang, raw)
        if encoding == "utf-16-be":
            raw = raw[2:]
        text = raw.decode("latin-1") if no_decode else _text(raw, encoding).rstrip("\0")
        if itext and itext > 6:
            extra = itext - 6
            text = val[pos - extra - 2 : pos - 2].decode("latin-1") + text
        yield (lang_tag(tag, code) if code else tag), text
        pos += length


def _itext_lang(lang: int, raw: bytes) -> tuple[str | None, str]:
    """The language code (``None``: the default) and text encoding of one text record."""
    if (lang < 0x400 or lang == 0x7FFF) and not raw.startswith(b"\xfe\xff"):
        # a Macintosh language code: 0 is the default (Macintosh English), in UTF-8 when it
        # is valid UTF-8, else Mac Roman (ExifTool's CharsetQuickTime); 0x7fff is "un".
        # (ExifTool names the other codes from Font.pm; they are left as the default here.)
        code = "un" if lang == 0x7FFF else None
        return code, "utf-8" if lang == 0 and _is_utf8(raw) else "mac_roman"
    return unpack_lang(lang), "utf-16-be" if raw.startswith(b"\xfe\xff") else "utf-8"


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def keys_tag(reader: object, tables: tuple[Table, Table, Table], namespace: str, key: str):
    """``ProcessKeys`` for one key: the ExifTool tag it names, in group ``Keys``."""
    keys, item_list, user_data = tables
    full = key
    short = re.sub(r"^com\.(apple\.quicktime\.)?", "", key) if namespace == "mdta" else key
    short = short or f"Tag_{namespace}"
    info = None
    for candidate in dict.fromkeys((short, full)):
        for table in (keys, item_list, user_data):
            if candidate in table.tags:
                info = reader.choose(table, candidate)
                if info is not None:
                    break
        if info is not None:
            break
    if info is not None:  # (ExifTool copies the name, format, conversions and sub-directory)
        return Tag(
            info.name,
            fmt=info.fmt,
            conv=info.conv,
            print_conv=info.print_conv,
            subdir=info.subdir,
            group1="Keys",
        )
    if re.fullmatch(r"[-\w. ]+", short) or re.search(r"\w{4}", short):
        return Tag(_key_name(short), group1="Keys")
    return None


def _key_name(key: str) -> str:
    """ExifTool's name for an unknown key: ``location.accuracy.horizontal`` ->
    ``LocationAccuracyHorizontal``."""
    name = key[:1].upper() + key[1:]
    name = re.sub(r"[^-0-9a-zA-Z_. ]", "", name)
    name = re.sub(r"[. ]+(.?)", lambda m: m.group(1).upper(), name)
    name = re.sub(r"_([a-z])", lambda m: "_" + m.group(1).upper(), name)
    name = re.sub(r"([a-z])_([A-Z])", r"\1\2", name)
    return name if len(name) >= 2 else f"Tag_{name}"

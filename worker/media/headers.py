"""A JPEG's header facts as Pillow's lazy ``Image.open`` states them, without Pillow.

A metadata-only extract needs of the opened image only its size, mode and ``info["dpi"]``;
importing Pillow for them costs a one-file command more than reading the file. This module
reads them the way Pillow 13's JPEG plug-in does (``JpegImageFile._open``: its marker loop,
the SOF, DQT, APP and COM handlers, the JFIF density, then the resolution of the EXIF's
IFD0 when JFIF gives none) and answers only when that reading is certain to be Pillow's:
anything Pillow could refuse or read differently (a truncated segment, a second SOF,
precision other than 8 bits, an MPF index that makes it an MPO, several EXIF segments, an
unusual resolution type, ...) answers ``None``, and the caller opens the image with Pillow
as before. ``tests/unit/media/test_headers.py`` compares both on every corpus JPEG.
"""

from __future__ import annotations

import struct

_SOF = frozenset(
    (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF, 0xDE)
)
_SKIP = frozenset((0xC4, 0xCC, 0xDA, 0xDC, 0xDD, 0xDF))
_NO_LENGTH = frozenset((0xC8, *range(0xD0, 0xDA), *range(0xF0, 0xFE)))
_APP = frozenset(range(0xE0, 0xF0))
_DQT, _SOS, _COM = 0xDB, 0xDA, 0xFE
_MODES = {1: "L", 3: "RGB", 4: "CMYK"}
# TIFF field types Pillow reads, and their unit sizes (TiffImagePlugin's _load_dispatch)
_TYPE_SIZES = {
    1: 1,
    2: 1,
    3: 2,
    4: 4,
    5: 8,
    6: 1,
    7: 1,
    8: 2,
    9: 4,
    10: 8,
    11: 4,
    12: 8,
    13: 4,
    16: 8,
}
_RESOLUTION_UNIT, _X_RESOLUTION = 0x0128, 0x011A
_SHORT, _RATIONAL = 3, 5


class Header:
    """What :func:`worker.media.extract.image.image_info` reads of an opened image."""

    __slots__ = ("info", "mode", "size")

    def __init__(self, size: tuple[int, int], mode: str, info: dict) -> None:
        self.size = size
        self.mode = mode
        self.info = info

    @property
    def width(self) -> int:
        return self.size[0]

    @property
    def height(self) -> int:
        return self.size[1]

    def getbands(self) -> tuple[str, ...]:
        return tuple(self.mode)  # L, RGB, CMYK: one letter a band


class _Unsure(Exception):
    """Pillow might read this header otherwise (or refuse it)."""


def jpeg_header(data: bytes) -> Header | None:
    """The size, mode and ``info["dpi"]`` Pillow would give ``data``, or ``None`` when only
    Pillow can say (see the module docstring)."""
    try:
        return _Reader(data).read()
    except _Unsure:
        return None


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size: tuple[int, int] | None = None
        self.mode = ""
        self.info: dict = {}
        self.exif: list[bytes] = []
        self.sofs = 0

    def read(self) -> Header:
        data = self.data
        if not data.startswith(b"\xff\xd8\xff"):
            raise _Unsure
        pos, current, end = 3, 0xFF, len(data)
        while pos < end:  # Pillow's loop: the byte after 0xFF names the marker
            if current != 0xFF:  # junk between segments: skipped byte by byte
                current, pos = data[pos], pos + 1
                continue
            code, pos = data[pos], pos + 1
            if code == 0xFF:  # fill byte
                continue
            if code == 0:  # escaped 0xFF
                if pos >= end:
                    break
                current, pos = data[pos], pos + 1
                continue
            pos = self._marker(code, pos)
            if code == _SOS:
                return self._header()
            if pos >= end:
                break
            current, pos = data[pos], pos + 1
        raise _Unsure  # no scan: Pillow may still open it, as metadata only

    def _marker(self, code: int, pos: int) -> int:
        """Handle one marker at ``pos`` (after its code); the position after it."""
        if code in _NO_LENGTH:
            return pos
        if not (code in _SOF or code in _SKIP or code in _APP or code in (_DQT, _COM)):
            raise _Unsure  # Pillow: "no marker found"
        if pos + 2 > len(self.data):
            raise _Unsure
        length = (self.data[pos] << 8) | self.data[pos + 1]
        end = pos + length
        if length < 2 or end > len(self.data):
            raise _Unsure
        body = self.data[pos + 2 : end]
        if code in _SOF:
            self._sof(body)
        elif code == _DQT:
            _check_dqt(body)
        elif code in _APP:
            self._app(code, body)
        return end

    def _sof(self, body: bytes) -> None:
        self.sofs += 1
        if self.sofs > 1 or len(body) < 6 or body[0] != 8 or body[5] not in _MODES:
            raise _Unsure
        if (len(body) - 6) % 3:
            raise _Unsure  # Pillow reads the components three bytes at a time: IndexError
        self.size = ((body[3] << 8) | body[4], (body[1] << 8) | body[2])
        self.mode = _MODES[body[5]]

    def _app(self, code: int, body: bytes) -> None:
        if code == 0xE0 and body.startswith(b"JFIF"):
            if len(body) < 7:
                raise _Unsure  # Pillow reads the version unguarded
            if len(body) >= 12:
                unit, x, y = body[7], *struct.unpack(">HH", body[8:12])
                if unit == 1:
                    self.info["dpi"] = (x, y)
                elif unit == 2:
                    self.info["dpi"] = (x * 2.54, y * 2.54)
        elif code == 0xE1 and body.startswith(b"Exif\0\0"):
            self.exif.append(body)
        elif code == 0xE2 and (body.startswith(b"MPF\0") or _short_icc(body)):
            raise _Unsure  # an MPO, or an ICC chunk Pillow's SOF would trip over
        elif code == 0xED and body.startswith(b"Photoshop 3.0\0"):
            _check_photoshop(body)
        elif code == 0xEE and body.startswith(b"Adobe") and len(body) < 7:
            raise _Unsure

    def _header(self) -> Header:
        if self.size is None or self.size[0] <= 0 or self.size[1] <= 0:
            raise _Unsure
        if "dpi" not in self.info and self.exif:
            if len(self.exif) > 1:
                raise _Unsure  # Pillow joins them
            self.info["dpi"] = _exif_dpi(self.exif[0][6:])
        return Header(self.size, self.mode, self.info)


def _short_icc(body: bytes) -> bool:
    return body.startswith(b"ICC_PROFILE\0") and len(body) < 14


def _check_dqt(body: bytes) -> None:
    while body:
        length = 1 + (64 if body[0] < 16 else 128)
        if len(body) < length:
            raise _Unsure  # Pillow: "bad quantization table marker"
        body = body[length:]


def _check_photoshop(body: bytes) -> None:
    """Pillow walks the image resources, stopping quietly at a short number but failing on
    a missing name length: the latter is not ours to judge."""
    offset = 14
    while body[offset : offset + 4] == b"8BIM":
        offset += 6  # signature, resource code
        if offset > len(body):
            return  # struct.error on the code: Pillow stops
        code = int.from_bytes(body[offset - 2 : offset], "big")
        if offset >= len(body):
            raise _Unsure  # IndexError on the name length
        offset += 1 + body[offset]
        offset += offset & 1
        if offset + 4 > len(body):
            return
        size = int.from_bytes(body[offset : offset + 4], "big")
        offset += 4
        if code == 0x03ED and len(body[offset : offset + size]) < 14:
            return  # the ResolutionInfo fields Pillow reads are short: struct.error, stops
        offset += size
        offset += offset & 1


def _exif_dpi(tiff: bytes) -> tuple:
    """``info["dpi"]`` from the EXIF's IFD0 as Pillow's ``_read_dpi_from_exif`` sets it:
    XResolution (in inches, or centimetres with ResolutionUnit 3), else 72."""
    if tiff.startswith(b"Exif\0\0") or len(tiff) < 8:
        raise _Unsure
    if tiff[:4] == b"II*\0":
        order = "<"
    elif tiff[:4] == b"MM\0*":
        order = ">"
    else:
        raise _Unsure
    entries = _ifd0(tiff, order)
    if _RESOLUTION_UNIT not in entries or _X_RESOLUTION not in entries:
        return (72, 72)
    unit = _single(entries[_RESOLUTION_UNIT], _SHORT)
    x_resolution = _single(entries[_X_RESOLUTION], _RATIONAL)
    numerator, denominator = struct.unpack(order + "LL", x_resolution)
    (unit,) = struct.unpack(order + "H", unit)
    if denominator == 0:
        return (72, 72)  # NaN: Pillow falls back to 72
    dpi = numerator / denominator
    if unit == 3:
        dpi *= 2.54
    return (dpi, dpi)


def _single(entry: tuple[int, int, bytes], wanted: int) -> bytes:
    typ, count, value = entry
    if typ != wanted or count != 1:
        raise _Unsure
    return value


def _ifd0(tiff: bytes, order: str) -> dict[int, tuple[int, int, bytes]]:
    """IFD0's entries as Pillow loads them (first of a tag wins; tags of unknown type and
    empty ones skipped); ``_Unsure`` when Pillow would stop early or skip a tag for size."""
    (offset,) = struct.unpack(order + "L", tiff[4:8])
    if offset + 2 > len(tiff):
        raise _Unsure
    (count,) = struct.unpack(order + "H", tiff[offset : offset + 2])
    table = offset + 2
    if table + 12 * count > len(tiff):
        raise _Unsure
    entries: dict[int, tuple[int, int, bytes]] = {}
    total = 0
    for n in range(count):
        tag, typ, items, value = struct.unpack(
            order + "HHL4s", tiff[table + 12 * n : table + 12 * n + 12]
        )
        if tag in entries or typ not in _TYPE_SIZES:
            continue
        size = items * _TYPE_SIZES[typ]
        if size > 4:
            (where,) = struct.unpack(order + "L", value)
            total += size
            if total > len(tiff) or where + size > len(tiff):
                raise _Unsure
            value = tiff[where : where + size]
        else:
            value = value[:size]
        if value:
            entries[tag] = (typ, items, value)
    return entries

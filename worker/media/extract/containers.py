"""Locate the metadata blocks inside each image container, without decoding pixels.

One walker per format reads only structure (segment, chunk or box headers) and
copies out the blocks the other modules parse:

=========  ======================================================================
format     where the metadata lives (specification)
=========  ======================================================================
JPEG       APP1 ``Exif`` and XMP (+ extended XMP), APP2 ``ICC_PROFILE`` chunks,
           APP13 Photoshop IRB (IPTC), APP0 JFIF density, COM, SOFn, DQT
           (ITU T.81 B.2; EXIF 2.32 §4.5.4; XMP Part 3 §1.1.3; ICC.1 B.4)
PNG        ``eXIf``, ``iCCP``, ``iTXt``/``tEXt``/``zTXt`` (XMP and ImageMagick
           "Raw profile" text), ``pHYs``, ``acTL`` (PNG 3rd ed. §11; APNG)
WebP       RIFF ``VP8X``, ``EXIF``, ``XMP ``, ``ICCP``, ``ANMF`` (RFC 9649 §2.7)
GIF        comment and application extensions ``XMP DataXMP``, ``ICCRGBG1012``
           (GIF89a §23-26; XMP Part 3 §1.1.2)
TIFF       the file is the EXIF structure; IFD0 tags 700/33723/34377/34675 hold
           XMP, IPTC, Photoshop IRB and ICC (TIFF 6.0; XMP Part 3 §1.1.4)
HEIF/AVIF  ``meta`` box: ``iinf``/``iloc`` items ``Exif`` and ``mime`` XMP,
           ``iprp/ipco`` ``colr`` (ICC), ``ispe`` (ISO/IEC 23008-12, 14496-12)
BMP        BITMAPV5HEADER embedded ICC profile (MS-WMF / Win32 BITMAPV5HEADER)
=========  ======================================================================

Every length is checked against the data before use; a structure that runs past
the end stops the walk (what was found so far is kept, ``truncated`` is set).
Compressed blocks (``zTXt``, ``iCCP``, ``iTXt``) inflate with an output cap, so a
zlib bomb raises :class:`~common.errors.DecompressionBomb` instead of eating memory.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass, field

from common.errors import DecompressionBomb

MAX_INFLATE = 32 * 1024 * 1024  # largest metadata text/profile we inflate
MAX_BOXES = 10_000  # ISO BMFF boxes / PNG chunks / RIFF chunks / GIF blocks walked
MAX_ITEMS = 8  # HEIF Exif/XMP items read (a file may point many items at the same bytes)


@dataclass
class Blocks:
    """What a container holds, as raw bytes, plus structural facts for ``image``."""

    exif: list[tuple[bytes, int]] = field(default_factory=list)  # (TIFF block, file position)
    xmp: list[bytes] = field(default_factory=list)
    xmp_extended: dict[str, dict[int, bytes]] = field(default_factory=dict)
    icc: bytes | None = None
    iptc: bytes | None = None  # IPTC-IIM datasets
    photoshop: bytes | None = None  # Photoshop image resource blocks
    comments: list[str] = field(default_factory=list)
    info: dict = field(default_factory=dict)  # format facts (density, frames, progressive...)
    truncated: bool = False
    inflated: int = 0  # bytes inflated so far (zTXt, iTXt, iCCP), capped per file

    def inflate(self, data: bytes, what: str) -> bytes:
        """zlib-inflate, keeping the whole file's inflated total within :data:`MAX_INFLATE`."""
        out = inflate(data, what, MAX_INFLATE - self.inflated)
        self.inflated += len(out)
        return out


def _u16be(data: bytes, pos: int) -> int:
    return (data[pos] << 8) | data[pos + 1]


# ------------------------------------------------------------------ JPEG

_SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_PROGRESSIVE = {0xC2, 0xC6, 0xCA, 0xCE}
XMP_SIG = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXT_SIG = b"http://ns.adobe.com/xmp/extension/\x00"


def jpeg(data: bytes) -> Blocks:
    """Walk JPEG markers up to the first SOS (the image data is never touched)."""
    blocks = Blocks()
    info = blocks.info
    icc_chunks: dict[int, bytes] = {}
    irb = bytearray()
    qtables: dict[int, list[int]] = {}
    pos = 2
    n = len(data)
    steps = 0
    while pos + 4 <= n and steps < MAX_BOXES:
        steps += 1
        if data[pos] != 0xFF:
            # garbage between segments: find the next marker like libjpeg does
            nxt = data.find(b"\xff", pos)
            if nxt < 0:
                break
            info.setdefault("junk", 0)
            info["junk"] += nxt - pos
            pos = nxt
            continue
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        if marker == 0xD9:
            break
        length = _u16be(data, pos + 2)
        if length < 2:
            blocks.truncated = True
            break
        start, end = pos + 4, pos + 2 + length
        if end > n:
            blocks.truncated = True
            end = n
        body = data[start:end]
        if marker == 0xDA:
            info["sos"] = True
            break
        if marker == 0xE1:
            if body[:4] == b"Exif" and len(body) > 6:
                blocks.exif.append((body[6:], start + 6))
            elif body.startswith(XMP_SIG):
                blocks.xmp.append(body[len(XMP_SIG) :])
            elif body.startswith(XMP_EXT_SIG) and len(body) >= len(XMP_EXT_SIG) + 40:
                rest = body[len(XMP_EXT_SIG) :]
                guid = rest[:32].decode("latin-1")
                offset = struct.unpack(">I", rest[36:40])[0]
                blocks.xmp_extended.setdefault(guid, {})[offset] = rest[40:]
        elif marker == 0xE2 and body.startswith(b"ICC_PROFILE\x00") and len(body) >= 14:
            icc_chunks.setdefault(body[12], body[14:])
        elif marker == 0xED and body.startswith(b"Photoshop 3.0\x00"):
            irb += body[14:]
        elif marker == 0xE0 and body.startswith(b"JFIF\x00") and len(body) >= 12:
            info["jfif"] = {
                "unit": body[7],
                "x": _u16be(body, 8),
                "y": _u16be(body, 10),
            }
        elif marker == 0xEE and body.startswith(b"Adobe") and len(body) >= 12:
            info["adobe_transform"] = body[11]
        elif marker == 0xFE:
            blocks.comments.append(_text(body))
        elif marker == 0xDB:
            _dqt(body, qtables)
        elif marker in _SOF_MARKERS and len(body) >= 6:
            info["sof"] = marker
            info["progressive"] = marker in _PROGRESSIVE
            info["precision"] = body[0]
            info["height"] = _u16be(body, 1)
            info["width"] = _u16be(body, 3)
            info["components"] = body[5]
        pos = pos + 2 + length
    if icc_chunks:
        blocks.icc = b"".join(icc_chunks[k] for k in sorted(icc_chunks))
    if irb:
        blocks.photoshop = bytes(irb)
        blocks.iptc = photoshop_iptc(blocks.photoshop)
    info["qtables"] = qtables
    return blocks


def _dqt(body: bytes, tables: dict[int, list[int]]) -> None:
    pos = 0
    while pos < len(body):
        pq, tq = body[pos] >> 4, body[pos] & 0x0F
        pos += 1
        size = 128 if pq else 64
        if pos + size > len(body):
            return
        if pq:
            values = list(struct.unpack(">64H", body[pos : pos + size]))
        else:
            values = list(body[pos : pos + size])
        tables[tq] = values
        pos += size


def photoshop_iptc(irb: bytes) -> bytes | None:
    """The IPTC-IIM block (resource 0x0404) of a Photoshop image-resource stream."""
    pos = 0
    n = len(irb)
    found = None
    while pos + 12 <= n:
        if irb[pos : pos + 4] not in (b"8BIM", b"PHUT", b"DCSR", b"AgHg", b"MeSa"):
            break
        rid = _u16be(irb, pos + 4)
        name_len = irb[pos + 6]
        pos += 7 + name_len + ((name_len + 1) & 1)  # Pascal name padded to even
        if pos + 4 > n:
            break
        size = struct.unpack(">I", irb[pos : pos + 4])[0]
        pos += 4
        if pos + size > n:
            size = n - pos
        if rid == 0x0404:
            found = (found or b"") + irb[pos : pos + size]
        pos += size + (size & 1)
    return found


def _text(body: bytes) -> str:
    raw = body.rstrip(b"\x00")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


# ------------------------------------------------------------------ PNG


def inflate(data: bytes, what: str, limit: int = MAX_INFLATE) -> bytes:
    """zlib-inflate at most ``limit`` bytes; more is a decompression bomb."""
    d = zlib.decompressobj()
    out = d.decompress(data, max(limit, 0) + 1)
    if len(out) > limit or d.unconsumed_tail:
        raise DecompressionBomb(f"{what} inflates beyond {MAX_INFLATE} bytes of metadata")
    return out


_RAW_PROFILE = re.compile(rb"\s*([^\n]*)\n\s*(\d+)\s*\n(.*)", re.S)


def png(data: bytes) -> Blocks:
    """Walk PNG chunks (skipping IDAT contents by length)."""
    blocks = Blocks()
    info = blocks.info
    pos = 8
    n = len(data)
    steps = 0
    seen_idat = False
    while pos + 8 <= n and steps < MAX_BOXES:
        steps += 1
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        ctype = data[pos + 4 : pos + 8]
        start, end = pos + 8, pos + 8 + length
        if end > n:
            blocks.truncated = True
            break
        body = data[start:end]
        if ctype == b"IHDR" and length >= 13:
            w, h, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body[:13])
            info.update(width=w, height=h, bit_depth=depth, color_type=color, interlace=interlace)
        elif ctype == b"IDAT":
            seen_idat = True
        elif ctype == b"tRNS":
            info["trns"] = True
        elif ctype == b"pHYs" and length >= 9:
            x, y, unit = struct.unpack(">IIB", body[:9])
            info["phys"] = {"x": x, "y": y, "unit": unit}
        elif ctype == b"acTL" and length >= 8:
            info["apng_frames"] = struct.unpack(">I", body[:4])[0]
        elif ctype == b"eXIf":
            tiff = body[6:] if body.startswith(b"Exif\x00\x00") else body
            off = start + (6 if body.startswith(b"Exif\x00\x00") else 0)
            blocks.exif.append((tiff, off))
            info["exif_after_idat"] = seen_idat
        elif ctype == b"iCCP":
            nul = body.find(b"\x00")
            if 0 < nul < 80 and nul + 2 <= len(body):
                info["icc_name"] = body[:nul].decode("latin-1")
                try:
                    blocks.icc = blocks.inflate(body[nul + 2 :], "iCCP")
                except zlib.error:
                    info["icc_error"] = True
        elif ctype in (b"tEXt", b"zTXt", b"iTXt"):
            _png_text(ctype, body, blocks)
        elif ctype == b"IEND":
            break
        pos = end + 4  # skip CRC
    return blocks


def _png_text(ctype: bytes, body: bytes, blocks: Blocks) -> None:
    nul = body.find(b"\x00")
    if nul <= 0:
        return
    keyword = body[:nul].decode("latin-1")
    rest = body[nul + 1 :]
    try:
        if ctype == b"tEXt":
            text = rest
        elif ctype == b"zTXt":
            text = blocks.inflate(rest[1:], "zTXt")
        else:
            compressed = rest[0] if rest else 0
            parts = rest[2:].split(b"\x00", 2)
            if len(parts) < 3:
                return
            text = blocks.inflate(parts[2], "iTXt") if compressed else parts[2]
    except zlib.error:
        return
    if keyword == "XML:com.adobe.xmp":
        blocks.xmp.append(text)
        return
    if keyword.startswith("Raw profile type "):
        profile = keyword[len("Raw profile type ") :].lower()
        raw = _raw_profile(text)
        if raw is None:
            return
        if profile in ("exif", "app1") and raw[:6] == b"Exif\x00\x00":
            blocks.exif.append((raw[6:], -1))
        elif profile in ("exif", "app1"):
            blocks.exif.append((raw, -1))
        elif profile == "xmp":
            blocks.xmp.append(raw)
        elif profile == "iptc":
            blocks.iptc = photoshop_iptc(raw) if raw.startswith(b"8BIM") else raw
        elif profile in ("icc", "icm") and blocks.icc is None:
            blocks.icc = raw
        return
    if keyword.lower() == "comment":
        blocks.comments.append(_text(text))
    blocks.info.setdefault("text", {})[keyword] = _text(text)


def _raw_profile(text: bytes) -> bytes | None:
    """ImageMagick's "Raw profile" text: name, decimal length, then hex digits."""
    m = _RAW_PROFILE.match(text)
    if not m:
        return None
    digits = re.sub(rb"\s+", b"", m.group(3))
    try:
        return bytes.fromhex(digits.decode("ascii"))[: int(m.group(2))]
    except ValueError:
        return None


# ------------------------------------------------------------------ WebP


def webp(data: bytes) -> Blocks:
    """Walk the RIFF chunks of a WebP file."""
    blocks = Blocks()
    info = blocks.info
    riff_end = min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    pos = 12
    steps = 0
    frames = 0
    while pos + 8 <= riff_end and steps < MAX_BOXES:
        steps += 1
        fourcc = data[pos : pos + 4]
        size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        start, end = pos + 8, pos + 8 + size
        if end > len(data):
            blocks.truncated = True
            end = len(data)
        body = data[start:end]
        if fourcc == b"VP8X" and len(body) >= 10:
            flags = body[0]
            info["vp8x_flags"] = flags
            info["width"] = 1 + int.from_bytes(body[4:7], "little")
            info["height"] = 1 + int.from_bytes(body[7:10], "little")
            info["animated"] = bool(flags & 0x02)
            info["alpha"] = bool(flags & 0x10)
        elif fourcc == b"ICCP":
            blocks.icc = body
        elif fourcc == b"EXIF":
            if body.startswith(b"Exif\x00\x00"):
                blocks.exif.append((body[6:], start + 6))
            else:
                blocks.exif.append((body, start))
        elif fourcc == b"XMP ":
            blocks.xmp.append(body)
        elif fourcc == b"ANMF":
            frames += 1
        elif fourcc == b"VP8L":
            info["lossless"] = True
        elif fourcc == b"VP8 ":
            info["lossy"] = True
        elif fourcc == b"ALPH":
            info["alpha"] = True
        pos = start + size + (size & 1)
    if frames:
        info["frames"] = frames
    return blocks


# ------------------------------------------------------------------ GIF


def gif(data: bytes) -> Blocks:
    """Walk GIF blocks: count frames, collect comments, XMP and ICC application data."""
    blocks = Blocks()
    info = blocks.info
    n = len(data)
    if n < 13:
        blocks.truncated = True
        return blocks
    flags = data[10]
    pos = 13
    if flags & 0x80:
        pos += 3 * (2 << (flags & 7))
    frames = 0
    steps = 0
    while pos < n and steps < MAX_BOXES * 10:
        steps += 1
        kind = data[pos]
        if kind == 0x3B:  # trailer
            break
        if kind == 0x2C:  # image descriptor
            if pos + 10 > n:
                blocks.truncated = True
                break
            frames += 1
            lflags = data[pos + 9]
            pos += 10
            if lflags & 0x80:
                pos += 3 * (2 << (lflags & 7))
            pos += 1  # LZW minimum code size
            pos, _ = _sub_blocks(data, pos, keep=False)
        elif kind == 0x21 and pos + 2 <= n:
            label = data[pos + 1]
            pos += 2
            if label == 0xFF and pos < n and data[pos] == 11 and pos + 12 <= n:
                app = data[pos + 1 : pos + 12]
                pos += 12
                if app == b"XMP DataXMP":
                    end = data.find(b"\x00", pos)
                    # XMP is stored raw with a 258-byte "magic trailer"
                    raw_end = data.find(b"<?xpacket end=", pos)
                    stop = data.find(b">", raw_end) + 1 if raw_end >= 0 else end
                    blocks.xmp.append(data[pos:stop] if stop > pos else b"")
                    pos, _ = _sub_blocks(data, pos, keep=False)
                elif app == b"ICCRGBG1012":
                    pos, body = _sub_blocks(data, pos, keep=True)
                    blocks.icc = body
                elif app in (b"NETSCAPE2.0", b"ANIMEXTS1.0"):
                    pos, body = _sub_blocks(data, pos, keep=True)
                    if len(body) >= 3 and body[0] == 1:
                        info["loop"] = body[1] | (body[2] << 8)
                else:
                    pos, _ = _sub_blocks(data, pos, keep=False)
            elif label == 0xFE:
                pos, body = _sub_blocks(data, pos, keep=True)
                blocks.comments.append(_text(body))
            elif label == 0xF9 and pos + 6 <= n:
                if data[pos + 1] & 1:
                    info["transparency"] = True
                pos, _ = _sub_blocks(data, pos, keep=False)
            else:
                pos, _ = _sub_blocks(data, pos, keep=False)
        else:
            break
    if pos >= n and frames == 0:
        blocks.truncated = True
    info["frames"] = frames
    return blocks


def _sub_blocks(data: bytes, pos: int, *, keep: bool) -> tuple[int, bytes]:
    out = bytearray() if keep else None
    n = len(data)
    while pos < n:
        size = data[pos]
        pos += 1
        if size == 0:
            break
        if keep:
            out += data[pos : pos + size]
        pos += size
    return pos, bytes(out) if keep else b""


# ------------------------------------------------------------------ TIFF


def tiff(data: bytes) -> Blocks:
    """A TIFF file is one EXIF block; its XMP/IPTC/ICC tags are collected while reading it."""
    blocks = Blocks()
    blocks.exif.append((data, 0))
    return blocks


# ------------------------------------------------------------------ HEIF / AVIF (ISO BMFF)


def _boxes(data: bytes, start: int, end: int):
    pos = start
    count = 0
    while pos + 8 <= end and count < MAX_BOXES:
        count += 1
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if size == 1:
            if pos + 16 > end:
                return
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            yield kind, pos + header, end, True
            return
        yield kind, pos + header, pos + size, False
        pos += size


def heif(data: bytes) -> Blocks:
    """Read the HEIF ``meta`` box: items, their locations and properties."""
    blocks = Blocks()
    for kind, start, end, bad in _boxes(data, 0, len(data)):
        if bad:
            blocks.truncated = True
        if kind == b"meta":
            _heif_meta(data, start + 4, end, blocks)
    return blocks


def _heif_meta(data: bytes, start: int, end: int, blocks: Blocks) -> None:
    items: dict[int, tuple[str, str]] = {}
    locations: dict[int, list[tuple[int, int]]] = {}
    props: list[tuple[bytes, int, int]] = []
    assoc: dict[int, list[int]] = {}
    primary = None
    for kind, s, e, bad in _boxes(data, start, end):
        if bad:
            blocks.truncated = True
        if kind == b"pitm" and e - s >= 6:
            version = data[s]
            primary = (
                _u16be(data, s + 4) if version == 0 else struct.unpack(">I", data[s + 4 : s + 8])[0]
            )
        elif kind == b"iinf":
            _heif_iinf(data, s, e, items)
        elif kind == b"iloc":
            _heif_iloc(data, s, e, locations)
        elif kind == b"iprp":
            for k2, s2, e2, _ in _boxes(data, s, e):
                if k2 == b"ipco":
                    props = [(k3, s3, e3) for k3, s3, e3, _ in _boxes(data, s2, e2)]
                elif k2 == b"ipma":
                    _heif_ipma(data, s2, e2, assoc)
    blocks.info["primary_item"] = primary
    budget = MAX_ITEMS
    for item_id, (item_type, content_type) in items.items():
        extents = locations.get(item_id)
        wanted = item_type == "Exif" or (item_type == "mime" and "xml" in content_type)
        if not extents or not wanted or budget == 0:
            continue
        budget -= 1
        body = b"".join(data[o : o + ln] for o, ln in extents if o + ln <= len(data))
        if item_type == "Exif" and len(body) > 4:
            skip = struct.unpack(">I", body[:4])[0]
            tiff = body[4 + skip :]
            if tiff[:6] == b"Exif\x00\x00":
                tiff = tiff[6:]
            blocks.exif.append((tiff, extents[0][0] + 4 + skip))
        elif item_type == "mime" and "xml" in content_type:
            blocks.xmp.append(body)
    wanted = assoc.get(primary, []) if primary is not None else []
    for index in wanted:
        if not 0 < index <= len(props):
            continue
        kind, s, e = props[index - 1]
        if kind == b"ispe" and e - s >= 12:
            blocks.info["width"], blocks.info["height"] = struct.unpack(">II", data[s + 4 : s + 12])
        elif kind == b"colr" and e - s >= 4:
            ctype = data[s : s + 4]
            if ctype in (b"prof", b"rICC"):
                blocks.icc = data[s + 4 : e]
            elif ctype == b"nclx":
                blocks.info["nclx"] = True
        elif kind == b"irot" and e > s:
            blocks.info["irot"] = data[s] & 3
        elif kind == b"imir" and e > s:
            blocks.info["imir"] = data[s] & 1
        elif kind == b"pixi" and e - s >= 5:
            channels = data[s + 4]
            blocks.info["pixi"] = list(data[s + 5 : s + 5 + channels])


def _heif_iinf(data: bytes, s: int, e: int, items: dict[int, tuple[str, str]]) -> None:
    version = data[s]
    pos = s + 4 + (2 if version == 0 else 4)
    for kind, s2, e2, _ in _boxes(data, pos, e):
        if kind != b"infe" or e2 - s2 < 8:
            continue
        v = data[s2]
        p = s2 + 4
        if v >= 2:
            if v == 2:
                item_id = _u16be(data, p)
                p += 2
            else:
                item_id = struct.unpack(">I", data[p : p + 4])[0]
                p += 4
            p += 2  # protection index
            item_type = data[p : p + 4].decode("latin-1")
            p += 4
            name_end = data.find(b"\x00", p, e2)
            p = name_end + 1 if name_end >= 0 else e2
            content_type = ""
            if item_type == "mime":
                ct_end = data.find(b"\x00", p, e2)
                content_type = data[p : ct_end if ct_end >= 0 else e2].decode("latin-1")
            items[item_id] = (item_type, content_type)


def _heif_iloc(data: bytes, s: int, e: int, locations: dict[int, list[tuple[int, int]]]) -> None:
    version = data[s]
    p = s + 4
    if p + 2 > e:
        return
    offset_size, length_size = data[p] >> 4, data[p] & 15
    base_size, index_size = data[p + 1] >> 4, (data[p + 1] & 15 if version in (1, 2) else 0)
    p += 2
    if version < 2:
        count = _u16be(data, p)
        p += 2
    else:
        count = struct.unpack(">I", data[p : p + 4])[0]
        p += 4

    def read(size: int) -> int:
        nonlocal p
        if size == 0:
            return 0
        if p + size > e:
            raise IndexError
        value = int.from_bytes(data[p : p + size], "big")
        p += size
        return value

    try:
        for _ in range(min(count, MAX_BOXES)):
            item_id = read(2 if version < 2 else 4)
            method = 0
            if version in (1, 2):
                method = read(2) & 15
            read(2)  # data reference index
            base = read(base_size)
            extents = read(2)
            spans = []
            for _ in range(min(extents, 1000)):
                if index_size:
                    read(index_size)
                off = read(offset_size)
                ln = read(length_size)
                spans.append((base + off, ln))
            if method == 0:
                locations[item_id] = spans
    except IndexError:
        return


def _heif_ipma(data: bytes, s: int, e: int, assoc: dict[int, list[int]]) -> None:
    version, flags = data[s], int.from_bytes(data[s + 1 : s + 4], "big")
    p = s + 4
    if p + 4 > e:
        return
    count = struct.unpack(">I", data[p : p + 4])[0]
    p += 4
    for _ in range(min(count, MAX_BOXES)):
        if version < 1:
            if p + 3 > e:
                return
            item_id = _u16be(data, p)
            p += 2
        else:
            if p + 5 > e:
                return
            item_id = struct.unpack(">I", data[p : p + 4])[0]
            p += 4
        n = data[p]
        p += 1
        out = []
        for _ in range(n):
            if flags & 1:
                if p + 2 > e:
                    return
                out.append(_u16be(data, p) & 0x7FFF)
                p += 2
            else:
                if p + 1 > e:
                    return
                out.append(data[p] & 0x7F)
                p += 1
        assoc[item_id] = out


# ------------------------------------------------------------------ BMP


def bmp(data: bytes) -> Blocks:
    """BMP: the BITMAPV5HEADER may embed an ICC profile."""
    blocks = Blocks()
    if len(data) < 18:
        blocks.truncated = True
        return blocks
    header_size = struct.unpack("<I", data[14:18])[0]
    if header_size >= 40 and len(data) >= 14 + 40:
        w, h, _planes, bpp = struct.unpack("<iiHH", data[18:30])
        blocks.info.update(width=w, height=abs(h), bpp=bpp)
        ppm = struct.unpack("<ii", data[38:46])
        blocks.info["ppm"] = ppm
    if header_size >= 124 and len(data) >= 14 + 124:
        cs_type = data[14 + 56 : 14 + 60]
        offset, size = struct.unpack("<II", data[14 + 112 : 14 + 120])
        if cs_type in (b"MBED", b"DEBM") and size > 0 and 14 + offset + size <= len(data):
            blocks.icc = data[14 + offset : 14 + offset + size]
    return blocks


WALKERS = {
    "jpg": jpeg,
    "png": png,
    "webp": webp,
    "gif": gif,
    "tiff": tiff,
    "heic": heif,
    "heif": heif,
    "avif": heif,
    "bmp": bmp,
}


def locate(data: bytes, fmt_name: str) -> Blocks:
    """The metadata blocks of ``data``, sniffed as ``fmt_name`` (see :mod:`..formats`)."""
    return WALKERS[fmt_name](data)

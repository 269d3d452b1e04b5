"""IPTC-IIM datasets (IPTC IIM 4.2), named as ExifTool names them.

An IIM stream is a run of datasets ``0x1C record dataset length value``
(IIM §1.5; a length with its top bit set gives the size of an extended length).
Record and dataset numbers map to names through ExifTool's IPTC tables
(``IPTC::EnvelopeRecord``, ``IPTC::ApplicationRecord``, ...), generated into
``tables/iptc.py``. Like ExifTool, text is read as Windows Latin-1 unless the
envelope's CodedCharacterSet (1:90) declares UTF-8 (``ESC % G``), repeatable
datasets (``Keywords``, ``By-line``, ...) become lists, numeric datasets become
integers, and dates/times are converted to ``YYYY:mm:dd`` / ``HH:MM:SS+hh:mm``.
A file with several IPTC blocks (two Photoshop IPTC resources) gives them merged as
ExifTool does: the first block's tags, plus those only a later block has. The Photoshop
resources holding them come from the one resource walk, :mod:`worker.media.containers.photoshop`
(``photoshop_iptc_blocks``, re-exported here).
"""

from __future__ import annotations

from ..containers.photoshop import photoshop_iptc_blocks as photoshop_iptc_blocks
from . import perl as P
from .tables import get_table
from .tabletypes import Tag
from .tagstore import decode_text

RECORD_TABLES = {
    1: "IPTC::EnvelopeRecord",
    2: "IPTC::ApplicationRecord",
    3: "IPTC::NewsPhoto",
    7: "IPTC::PreObjectData",
    8: "IPTC::ObjectData",
    9: "IPTC::PostObjectData",
    240: "IPTC::FotoStation",
}
UTF8_CHARSET = b"\x1b%G"
MAX_DATASETS = 10_000


def _datasets(data: bytes):
    """Yield ``(record, dataset, value)``; stops at the first malformed header."""
    pos = 0
    end = len(data)
    if end >= 4 and data[0] != 0x1C and data[3] == 0x1C:
        # byte-swapped in 32-bit words by some broken writers
        padded = data + b"\x00" * (-len(data) % 4)
        data = b"".join(padded[i : i + 4][::-1] for i in range(0, len(padded), 4))
    count = 0
    while pos + 5 <= end and count < MAX_DATASETS:
        count += 1
        marker, record, dataset = data[pos], data[pos + 1], data[pos + 2]
        length = (data[pos + 3] << 8) | data[pos + 4]
        if marker != 0x1C:
            return
        pos += 5
        if length & 0x8000:
            n = length & 0x7FFF
            if n > 8 or pos + n > end:
                return
            length = int.from_bytes(data[pos : pos + n], "big")
            pos += n
        if pos + length > end:
            return
        yield record, dataset, data[pos : pos + length]
        pos += length


def read_iptc(data: bytes) -> dict[str, object]:
    """IPTC datasets of one IIM block by ExifTool tag name; repeatable ones as lists."""
    out: dict[str, object] = {}
    utf8 = False
    for record, dataset, raw in _datasets(data):
        table = get_table(RECORD_TABLES.get(record, ""))
        alternatives = table.tags.get(dataset) if table is not None else None
        tag = alternatives[0] if alternatives else None
        if tag is None or tag.unknown:
            continue
        if record == 1 and dataset == 90:
            utf8 = raw.rstrip(b"\x00") == UTF8_CHARSET
        value = _converted(tag, _raw_value(tag, record, raw, utf8))
        if value is _DROPPED:
            continue
        if tag.list_type:
            existing = out.get(tag.name)
            if isinstance(existing, list):
                existing.append(value)
            else:
                out[tag.name] = [value]
        else:
            out[tag.name] = value
    return out


def read_iptc_blocks(blocks: list[bytes]) -> dict[str, object]:
    """Several IIM blocks (two Photoshop IPTC resources, say) merged as ExifTool merges them:
    the first block is the standard one, the others (its ``IPTC2``, ... groups, of lower
    priority) only add the tags it lacks."""
    out: dict[str, object] = {}
    for block in blocks:
        for name, value in read_iptc(block).items():
            out.setdefault(name, value)
    return out


_DROPPED = object()  # a conversion gave undef: ExifTool drops the tag


def _raw_value(tag: Tag, record: int, raw: bytes, utf8: bool) -> object:
    """A dataset's bytes as ExifTool reads them by the tag's format."""
    fmt = tag.fmt or ""
    if fmt.startswith("int"):
        return int.from_bytes(raw, "big") if len(raw) <= 8 else raw.decode("latin-1")
    if fmt.startswith(("string", "digits")):
        raw = raw.rstrip(b"\x00")
        cp1252 = (
            not utf8
            and record < 7
            and any(b >= 0x80 for b in raw)
            and not any(b in (0x14, 0x15, 0x1B) for b in raw)
        )
        if cp1252:
            return raw.decode("cp1252", "replace").encode("utf-8").decode("latin-1")
        return raw.decode("latin-1")
    if not fmt and len(raw) <= 4 and len(raw) != 3 and any(b <= 8 for b in raw):
        return int.from_bytes(raw, "big")
    if fmt.startswith("undef") or "Binary" in tag.flags:
        return P.Ref(raw.decode("latin-1"))
    return raw.decode("latin-1")


def _converted(tag: Tag, value: object) -> object:
    """The tag's ``RawConv`` and ``ValueConv`` applied (``_DROPPED`` when one gives undef)."""
    for conv in (tag.raw, tag.conv):
        if conv is not None:
            value = P.convert(conv, value, {})
            if value is None:
                return _DROPPED
    return _json(value)


def _json(value: object) -> object:
    if isinstance(value, P.Ref):
        return f"(Binary data {len(P.pstr(value.value))} bytes)"
    if isinstance(value, (int, float)):
        return value
    return decode_text(P.pstr(value))

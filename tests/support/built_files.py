"""Files built for the engine's class tests: JPEGs carrying hand-built segments (for what
ExifTool reads but cannot write) and each ExifTool version's reading of them."""

from __future__ import annotations

import io
import json
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from tests.support.exiftool_reference import Tally

XMP_SIGNATURE = b"http://ns.adobe.com/xap/1.0/\x00"


def plain_jpeg(size: tuple[int, int] = (16, 16)) -> bytes:
    """A small baseline JPEG without metadata."""
    buf = io.BytesIO()
    Image.new("RGB", size, (90, 120, 30)).save(buf, "JPEG")
    return buf.getvalue()


def jpeg_with_segments(*segments: tuple[int, bytes]) -> bytes:
    """A JPEG with these ``(marker, payload)`` segments right after SOI, in order."""
    data = plain_jpeg()
    built = b"".join(
        struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload
        for marker, payload in segments
    )
    return data[:2] + built + data[2:]


def jpeg_with_xmp(packet: bytes) -> bytes:
    """A JPEG whose APP1 XMP segment holds ``packet`` as given (well-formed or not)."""
    return jpeg_with_segments((0xE1, XMP_SIGNATURE + packet))


def reading(program: Path | str, path: Path, *, printed: bool = False) -> dict:
    """``exiftool -j -G1 -struct`` (with ``-n`` unless ``printed``) of one file."""
    args = ["perl", str(program), "-j", "-G1", "-struct", *([] if printed else ["-n"])]
    proc = subprocess.run([*args, str(path)], capture_output=True, check=True)
    return json.loads(proc.stdout)[0]


def write(program: Path | str, path: Path, *args: str) -> None:
    """Have ExifTool write ``args`` into ``path`` in place."""
    proc = subprocess.run(
        ["perl", str(program), "-q", "-q", "-overwrite_original", *args, str(path)],
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")


def tally(reference: dict, metadata: dict, maker_groups: set[str] = frozenset()) -> Tally:
    """The corpus comparison's tally for one file."""
    result = Tally()
    result.add("built", reference, metadata, set(maker_groups))
    return result


def compared(
    program: Path | str, path: Path, maker_groups: set[str] = frozenset(), *, printed: bool = False
) -> tuple[dict, dict, Tally]:
    """ExifTool's reading of ``path`` (:func:`reading`), ours (``extract_metadata``, pixels
    off, raw or printed values as ExifTool's), and the tally of ours against it."""
    from worker.media.extract import extract_metadata

    reference = reading(program, path, printed=printed)
    values = "printed" if printed else "raw"
    metadata = extract_metadata(path.read_bytes(), path.name, pixels=False, values=values)
    return reference, metadata, tally(reference, metadata, maker_groups)


# ------------------------------------------------------------------ EXIF built byte by byte
# (for maker-note directories ExifTool reads but cannot create)

TYPES = {"B": (1, "B"), "A": (2, "B"), "H": (3, "H"), "I": (4, "I"), "U": (7, "B")}
TYPES.update({"h": (8, "h"), "i": (9, "i"), "R": (5, "I")})


def ifd(entries: list[tuple[int, str, object]], pos: int, order: str = "<") -> bytes:
    """An IFD placed at ``pos`` (offsets count from the TIFF header), values after it.

    Each entry is ``(tag, kind, value)``: kind ``A`` (ASCII, str), ``U`` (undefined,
    bytes), ``B``/``H``/``I``/``h``/``i`` (int8u/16u/32u/16s/32s, a list of ints),
    ``R`` (rational64u, a flat list of numerators and denominators)."""
    head = struct.pack(order + "H", len(entries))
    data = b""
    data_pos = pos + 2 + 12 * len(entries) + 4
    for tag, kind, value in sorted(entries, key=lambda e: e[0]):
        code, fmt = TYPES[kind]
        if kind == "A":
            raw = value.encode() + b"\x00"
        elif kind in ("U", "B") and isinstance(value, bytes):
            raw = value
        else:
            raw = struct.pack(f"{order}{len(value)}{fmt}", *value)
        count = len(raw) if kind in ("A", "U", "B") else len(value)
        count = count // 2 if kind == "R" else count
        if len(raw) <= 4:
            field = raw.ljust(4, b"\x00")
        else:
            field = struct.pack(order + "I", data_pos + len(data))
            data += raw + (b"\x00" if len(raw) % 2 else b"")
        head += struct.pack(order + "HHI", tag, code, count) + field
    return head + b"\x00\x00\x00\x00" + data


def exif_with_maker_note(
    make: str,
    model: str,
    maker_note: Callable[[int], bytes],
    order: str = "<",
    exif: list[tuple[int, str, object]] = (),
) -> bytes:
    """A TIFF-structured EXIF block: IFD0 (Make, Model), ExifIFD with ``exif`` entries and a
    MakerNote built by ``maker_note(position)`` (its offsets count from the TIFF header)."""
    exif_pos = 0x100
    note_pos = 0x400
    note = maker_note(note_pos)
    ifd0 = ifd([(0x10F, "A", make), (0x110, "A", model), (0x8769, "I", [exif_pos])], 8, order)
    # the MakerNote entry is laid out as a placeholder, then pointed at note_pos
    exif_ifd = ifd([*exif, (0x927C, "I", [0])], exif_pos, order)
    exif_ifd = _point_maker_note(exif_ifd, len(exif) + 1, note_pos, len(note), order)
    header = (b"II*\x00" if order == "<" else b"MM\x00*") + struct.pack(order + "I", 8)
    out = bytearray(header + ifd0)
    assert len(out) <= exif_pos and exif_pos + len(exif_ifd) <= note_pos
    out += b"\x00" * (exif_pos - len(out)) + exif_ifd
    out += b"\x00" * (note_pos - len(out)) + note
    return bytes(out)


def _point_maker_note(block: bytes, count: int, note_pos: int, size: int, order: str) -> bytes:
    out = bytearray(block)
    for i in range(count):
        at = 2 + 12 * i
        if struct.unpack_from(order + "H", out, at)[0] == 0x927C:
            struct.pack_into(order + "HHII", out, at, 0x927C, 7, size, note_pos)
    return bytes(out)


def jpeg_with_exif(tiff: bytes) -> bytes:
    """A JPEG whose APP1 Exif segment holds ``tiff``."""
    return jpeg_with_segments((0xE1, b"Exif\x00\x00" + tiff))

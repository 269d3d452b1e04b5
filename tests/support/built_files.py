"""Files built for the engine's class tests: JPEGs carrying hand-built segments (for what
ExifTool reads but cannot write) and each ExifTool version's reading of them."""

from __future__ import annotations

import io
import json
import struct
import subprocess
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

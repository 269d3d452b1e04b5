"""Bad input gets a DESIGN.md error code or a result with warnings: never a crash, never a hang.

Decisions tested here (and written in the README):

* not an image (zero bytes, text named ``.jpg``) -> ``unsupported_format``;
* headers that cannot be read -> ``corrupt_image``; pixel data that cannot be
  decoded -> the metadata with ``null`` pixel fields and a warning (``pixels=False``
  never touches them, so a JPEG truncated in its scan data still gives its metadata);
* declared size beyond ``max_pixels`` -> ``decompression_bomb``, with or without
  pixels; an XML entity bomb in XMP, or a zTXt chunk inflating beyond the cap,
  -> ``decompression_bomb``;
* broken EXIF inside an otherwise readable image (IFD offsets that loop or point
  past the end) does not fail the file: the readable tags are kept and the
  problem is listed in ``metadata.warnings``, as ExifTool reports it in its
  Warning tag (the shared corpus holds such files and ExifTool reads them).
"""

from __future__ import annotations

import io
import json
import struct
import zlib

import pytest
from PIL import Image

from common.errors import CorruptImage, DecompressionBomb, UnsupportedFormat
from worker.media.extract import extract_metadata


def _jpeg(**save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 200)).save(out, "JPEG", **save)
    return out.getvalue()


def _with_app1(jpeg: bytes, payload: bytes) -> bytes:
    """Insert an APP1 segment holding ``payload`` right after SOI."""
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def _tiff_header(order: str = "<") -> bytes:
    return (b"II*\x00" if order == "<" else b"MM\x00*") + struct.pack(order + "I", 8)


def _ifd(entries: list[tuple[int, int, int, int]], next_ifd: int, order: str = "<") -> bytes:
    body = struct.pack(order + "H", len(entries))
    for tag, fmt, count, value in entries:
        body += struct.pack(order + "HHII", tag, fmt, count, value)
    return body + struct.pack(order + "I", next_ifd)


def test_zero_bytes_is_unsupported() -> None:
    with pytest.raises(UnsupportedFormat):
        extract_metadata(b"", "empty.jpg")


def test_text_named_jpg_is_unsupported() -> None:
    with pytest.raises(UnsupportedFormat) as info:
        extract_metadata(b"This is not an image, just text.\n" * 10, "photo.jpg")
    assert info.value.code == "unsupported_format"


def test_jpeg_truncated_in_its_headers_is_corrupt() -> None:
    data = _jpeg()
    sof = data.index(b"\xff\xc0")
    with pytest.raises(CorruptImage):
        extract_metadata(data[: sof + 5], "cut.jpg", pixels=False)


def test_jpeg_truncated_in_scan_data_keeps_its_metadata_without_pixel_fields() -> None:
    big = io.BytesIO()
    Image.effect_noise((256, 256), 80).convert("RGB").save(big, "JPEG", quality=95)
    data = big.getvalue()
    cut = data[: len(data) // 2]
    meta = extract_metadata(cut, "cut.jpg")
    assert meta["pHash"] is None and meta["colors"] is None
    assert any("truncated" in w for w in meta["warnings"]), meta["warnings"]
    assert (meta["image"]["width"], meta["image"]["height"]) == (256, 256)
    # metadata only: no pixel is read, no warning about them
    meta = extract_metadata(cut, "cut.jpg", pixels=False)
    assert (meta["image"]["width"], meta["image"]["height"]) == (256, 256)


def test_exif_ifd_chain_that_loops_is_cut_with_a_warning() -> None:
    # IFD0 at 8: Make="Loop", ExifOffset -> 8 (itself), next IFD -> 8 (itself)
    order = "<"
    make_offset = 8 + 2 + 3 * 12 + 4
    tiff = (
        _tiff_header(order)
        + _ifd(
            [(0x010F, 2, 5, make_offset), (0x8769, 4, 1, 8), (0x0110, 2, 4, 0x706F6F4C)],
            next_ifd=8,
            order=order,
        )
        + b"Loop\x00"
    )
    data = _with_app1(_jpeg(), b"Exif\x00\x00" + tiff)
    meta = extract_metadata(data, "loop.jpg", pixels=False)
    assert meta["exif"]["image"]["Make"] == "Loop"
    assert meta["exif"]["image"]["Model"] == "Loop"
    assert any("previous directory" in w for w in meta["warnings"]), meta["warnings"]
    json.dumps(meta, allow_nan=False)


def test_exif_offsets_past_the_end_are_skipped_with_a_warning() -> None:
    order = ">"
    tiff = _tiff_header(order) + _ifd(
        [
            (0x010F, 2, 40, 0x7FFFFFF0),  # Make: value far past the end
            (0x0110, 2, 4, 0x4F4B0000),  # Model "OK" (inline)
            (0x8769, 4, 1, 0xFFFFFF00),  # ExifOffset past the end
            (0x8825, 4, 1, 0x00000FFF),  # GPSInfo past the end
        ],
        next_ifd=0xFFFFFFFF,
        order=order,
    )
    data = _with_app1(_jpeg(), b"Exif\x00\x00" + tiff)
    meta = extract_metadata(data, "past.jpg", pixels=False)
    assert meta["exif"]["image"] == {"Model": "OK"}
    assert meta["exif"]["exif"] == {} and meta["exif"]["gps"] == {}
    assert any("Bad offset" in w for w in meta["warnings"]), meta["warnings"]


def test_tiff_file_whose_first_ifd_is_past_the_end_is_corrupt() -> None:
    data = b"II*\x00" + struct.pack("<I", 0x00FFFFFF) + b"\x00" * 32
    with pytest.raises(CorruptImage):
        extract_metadata(data, "bad.tif", pixels=False)


def test_declared_size_beyond_the_limit_is_a_bomb() -> None:
    data = _jpeg()
    with pytest.raises(DecompressionBomb):
        extract_metadata(data, "small.jpg", pixels=False, max_pixels=100)
    # a PNG declaring 100000 x 100000 pixels in 8 bytes of IHDR
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk
        + struct.pack(">I", 0)
        + b"IEND"
        + struct.pack(">I", 0xAE426082)
    )
    with pytest.raises(DecompressionBomb) as info:
        extract_metadata(png, "huge.png")
    assert info.value.code == "decompression_bomb"


def test_xml_bomb_in_xmp_is_refused() -> None:
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    packet = (
        f'<?xml version="1.0"?><!DOCTYPE x [{lol}]>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="&l9;"/>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()
    data = _with_app1(_jpeg(), b"http://ns.adobe.com/xap/1.0/\x00" + packet)
    with pytest.raises(DecompressionBomb):
        extract_metadata(data, "bomb.jpg", pixels=False)


def _png_with_ztxt(*texts: bytes) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG")
    png = out.getvalue()
    chunks = b""
    for text in texts:
        body = b"Comment\x00\x00" + zlib.compress(text, 9)
        crc = struct.pack(">I", zlib.crc32(b"zTXt" + body))
        chunks += struct.pack(">I", len(body)) + b"zTXt" + body + crc
    iend = png.index(b"IEND") - 4
    return png[:iend] + chunks + png[iend:]


def test_ztxt_that_inflates_beyond_the_cap_is_a_bomb() -> None:
    with pytest.raises(DecompressionBomb):
        extract_metadata(_png_with_ztxt(b" " * 40 * 2**20), "ztxt.png", pixels=False)
    # the cap is per file: several chunks each below it do not add up to more
    with pytest.raises(DecompressionBomb):
        extract_metadata(_png_with_ztxt(*[b" " * 12 * 2**20] * 3), "ztxt3.png", pixels=False)
    ok = extract_metadata(_png_with_ztxt(b"small and fine"), "small.png", pixels=False)
    assert ok["comments"] == ["small and fine"]


def test_malformed_xmp_is_skipped_with_a_warning() -> None:
    """As ExifTool: what a never-closed token holds is dropped, with its warning."""
    data = _with_app1(_jpeg(), b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><unclosed")
    meta = extract_metadata(data, "badxmp.jpg", pixels=False)
    assert meta["xmp"] == {}
    assert "XMP format error (no closing tag for x:xmpmeta)" in meta["warnings"]

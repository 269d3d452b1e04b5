"""The TIFF, BMP and Photoshop resource readers on their own: what strip and extract walk with.

TIFF pages and their strips or tiles are checked against ExifTool's reading of
the same file; BMP headers against ExifTool's BMP tags; the strict walks raise
``CorruptImage`` where the lenient ones mark the file ``truncated``.
"""

from __future__ import annotations

import base64
import io
import struct

import numpy as np
import pytest
from PIL import Image

from common.errors import CorruptImage
from tests.conftest import exiftool
from tests.unit.media.test_strip_containers import (
    handmade_tiff,
    icc_profile,
    picture,
    saved,
    tiff_blocks,
)
from worker.media.containers import bmp, locate, photoshop, tiff
from worker.media.extract.iptc import photoshop_iptc_blocks, read_iptc
from worker.media.strip import strip_metadata

# --- TIFF ---------------------------------------------------------------------------------


@pytest.mark.parametrize("big", [False, True], ids=["classic", "bigtiff"])
@pytest.mark.parametrize("tiles", [None, 16], ids=["strips", "tiles"])
@pytest.mark.parametrize("order", ["<", ">"], ids=["II", "MM"])
def test_tiff_pixel_blocks_are_where_exiftool_finds_them(order, tiles, big):
    data = handmade_tiff(order, big, np.asarray(picture((40, 36))), tiles, {271: b"Canon"})
    reader = tiff.TiffReader(data)
    assert reader.layout is (tiff.BIG if big else tiff.CLASSIC)
    (page,) = reader.pages()
    assert page.number == 0 and page.tags[271].value == b"Canon\x00"
    strips = (tiff.STRIP_OFFSETS, tiff.STRIP_BYTE_COUNTS)
    assert page.pixel_tags == ((tiff.TILE_OFFSETS, tiff.TILE_BYTE_COUNTS) if tiles else strips)
    blocks = [data[at : at + count] for at, count in reader.pixel_blocks(page)]
    assert blocks == tiff_blocks(data)


def test_tiff_pages_of_a_multipage_file():
    frames = [picture((24, 16)), picture((12, 8), "L")]
    data = saved(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    reader = tiff.TiffReader(data)
    pages = reader.pages()
    assert [page.number for page in pages] == [0, 1]
    sizes = [sum(count for _, count in reader.pixel_blocks(page)) for page in pages]
    assert sizes == [24 * 16 * 3, 12 * 8]  # uncompressed: every pixel byte located
    row = exiftool("-n", "-IFD1:ImageWidth", "-IFD1:StripByteCounts", "-", input=data)[0]
    assert row["ImageWidth"] == 12 and int(row["StripByteCounts"]) == sizes[1]


def _patched(data: bytes, tag: int, values: list[int]) -> bytes:
    """``data`` with the LONG (or SHORT) values of a classic little-endian IFD0 entry replaced."""
    reader = tiff.TiffReader(data)
    rows, _ = reader.rows(reader.first_ifd)
    index = [row[0] for row in rows].index(tag)
    at = reader.first_ifd + 2 + 12 * index
    type_ = struct.unpack_from("<H", data, at + 2)[0]
    code = "L" if type_ == 4 else "H"
    raw = struct.pack(f"<{len(values)}{code}", *values)
    out = bytearray(data)
    if len(raw) <= 4:
        out[at + 4 : at + 12] = struct.pack("<L", len(values)) + raw.ljust(4, b"\0")
    else:
        out[at + 4 : at + 12] = struct.pack("<LL", len(values), len(out))
        out += raw
    return bytes(out)


@pytest.mark.parametrize(
    ("tag", "values", "message"),
    [
        (tiff.STRIP_BYTE_COUNTS, [10**6, 10**6, 10**6], "runs past the end"),
        (tiff.STRIP_BYTE_COUNTS, [0, 0, 0], "byte count of 0"),
        (tiff.STRIP_OFFSETS, [8, 8], "3 sizes"),
    ],
    ids=["past-the-end", "empty-at-an-offset", "counts-differ"],
)
def test_tiff_strict_pixel_blocks(tag, values, message):
    data = handmade_tiff("<", False, np.zeros((24, 8, 3), np.uint8), None, {})
    broken = _patched(data, tag, values)
    reader = tiff.TiffReader(broken)
    (page,) = reader.pages()
    with pytest.raises(CorruptImage, match=message):
        reader.pixel_blocks(page)
    with pytest.raises(CorruptImage, match=message):
        strip_metadata(broken)


def test_tiff_strict_ifd_chain():
    data = handmade_tiff("<", False, np.zeros((8, 8, 3), np.uint8), None, {})
    reader = tiff.TiffReader(data)
    ifd0 = reader.first_ifd
    next_field = ifd0 + 2 + 12 * len(reader.rows(ifd0)[0])
    looped = data[:next_field] + struct.pack("<L", ifd0) + data[next_field + 4 :]
    with pytest.raises(CorruptImage, match="loops"):
        tiff.TiffReader(looped).pages()
    with pytest.raises(CorruptImage, match="past the end"):
        tiff.TiffReader(data[: ifd0 + 20]).pages()
    assert locate(data, "tiff").exif == [(data, 0)]  # extract reads the file as one EXIF block


# --- BMP ----------------------------------------------------------------------------------


def v5_bmp(profile: bytes) -> bytes:
    """A 2x2 24-bit BMP with a BITMAPV5HEADER embedding ``profile`` after the pixels."""
    pixels = bytes(range(6)) + b"\0\0" + bytes(range(10, 16)) + b"\0\0"
    pixels_at = 14 + 124
    header = struct.pack("<LiiHHLLiiLL", 124, 2, 2, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    header += bytes(16) + b"DEBM" + bytes(36)  # masks, CSType = PROFILE_EMBEDDED, endpoints
    header += bytes(12) + struct.pack("<LLLL", 4, 124 + len(pixels), len(profile), 0)
    assert len(header) == 124
    size = pixels_at + len(pixels) + len(profile)
    return b"BM" + struct.pack("<LHHL", size, 0, 0, pixels_at) + header + pixels + profile


def test_bmp_v5_embedded_profile_where_exiftool_says():
    profile = icc_profile()
    data = v5_bmp(profile)
    found = bmp.header(data)
    row = exiftool(
        "-n", "-b", "-ProfileDataOffset", "-ProfileSize", "-ICC_Profile", "-", input=data
    )
    assert found.profile == (14 + row[0]["ProfileDataOffset"], row[0]["ProfileSize"])
    assert base64.b64decode(row[0]["ICC_Profile"].removeprefix("base64:")) == profile
    assert locate(data, "bmp").icc == profile
    image = Image.open(io.BytesIO(data))
    assert image.size == (2, 2) and image.getpixel((0, 1)) == (2, 1, 0)  # bottom-up, BGR
    assert strip_metadata(data).data == data


def test_bmp_strict_and_lenient_headers():
    data = saved(picture((9, 7)), "BMP")
    assert bmp.header(data) == bmp.Header(40, 54, None)
    assert locate(data, "bmp").info["width"] == 9
    for cut in (data[:30], data[:20]):
        with pytest.raises(CorruptImage, match="info header"):
            bmp.header(cut)
        with pytest.raises(CorruptImage, match="info header"):
            strip_metadata(cut)
    assert bmp.header(data[:17], strict=False) is None
    assert locate(data[:17], "bmp").truncated
    far = data[:10] + struct.pack("<L", len(data) + 1) + data[14:]
    with pytest.raises(CorruptImage, match="pixel data"):
        strip_metadata(far)


# --- Photoshop image resources ------------------------------------------------------------


def resource(rid: int, data: bytes, name: bytes = b"", signature: bytes = b"8BIM") -> bytes:
    pascal = bytes([len(name)]) + name
    pascal += b"\0" * (len(pascal) % 2)
    return (
        signature
        + struct.pack(">H", rid)
        + pascal
        + struct.pack(">L", len(data))
        + data
        + (b"\0" * (len(data) % 2))
    )


def test_photoshop_resources_one_walk():
    iptc_a = b"\x1c\x02\x50\x00\x03Ann"  # By-line
    iptc_b = b"\x1c\x02\x74\x00\x04(c) "  # CopyrightNotice
    irb = resource(0x03ED, bytes(16), b"res") + resource(0x0404, iptc_a)
    irb += resource(0x0404, iptc_b, b"x", b"MeSa")
    listed = list(photoshop.resources(irb))
    assert [rid for rid, _ in listed] == [0x03ED, 0x0404, 0x0404]
    assert photoshop_iptc_blocks(irb) == [iptc_a, iptc_b]
    assert photoshop.photoshop_iptc(irb) == iptc_a + iptc_b
    assert read_iptc(iptc_a) == {"By-line": ["Ann"]}
    clipped = irb[:-3]  # the last resource's size runs past the end: clipped, as ExifTool reads
    assert photoshop_iptc_blocks(clipped)[-1] == iptc_b[:-2]
    assert photoshop.photoshop_iptc(irb + b"junk" + bytes(20)) == iptc_a + iptc_b
    assert photoshop.photoshop_iptc(resource(0x03ED, b"")) is None

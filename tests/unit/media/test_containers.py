"""The container readers on their own: what each lists, and how its strict and lenient walks
differ on the same broken file (strict: ``CorruptImage``; lenient: stop, mark ``truncated``)."""

from __future__ import annotations

import io
import itertools
import struct
import time
import zlib

import pytest
from PIL import Image

from common.errors import CorruptImage, DecompressionBomb
from tests.unit.media.test_container_classes import chunk, heif, png
from worker.media.containers import bmff, gif, jpeg, locate
from worker.media.containers import png as png_reader
from worker.media.containers import webp as webp_reader
from worker.media.containers.inflate import MAX_INFLATE, Inflater
from worker.media.containers.limits import MAX_PARTS


def jpeg_file() -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    Image.new("RGB", (16, 8), (10, 20, 30)).save(out, "JPEG", exif=exif, comment=b"hello")
    return out.getvalue()


def test_jpeg_segments_tile_the_header_up_to_the_scan():
    data = jpeg_file()
    found = list(jpeg.segments(data))
    assert found[-1].marker == jpeg.SOS
    assert [s.marker for s in found][:2] == [jpeg.APP0, jpeg.APP1]
    assert jpeg.COM in [s.marker for s in found]
    for before, after in itertools.pairwise(found):
        assert before.end == after.start and data[after.start] == 0xFF
    tail = list(jpeg.scan_markers(data, found[-1]))
    assert [s.marker for s in tail] == [jpeg.EOI] and tail[0].end == len(data)


def test_jpeg_strict_and_lenient_walks_of_a_cut_segment():
    data = jpeg_file()
    app1 = next(s for s in jpeg.segments(data) if s.marker == jpeg.APP1)
    cut = data[: app1.start + 10]
    with pytest.raises(CorruptImage, match="past the end"):
        list(jpeg.segments(cut))
    last = list(jpeg.segments(cut, strict=False))[-1]
    assert last.marker == jpeg.APP1 and last.truncated and last.end == len(cut)
    assert locate(cut, "jpg").truncated


def test_jpeg_junk_between_segments_is_counted_and_skipped():
    data = jpeg_file()
    app1 = next(s for s in jpeg.segments(data) if s.marker == jpeg.APP1)
    junky = data[: app1.start] + b"junk" + data[app1.start :]
    again = next(s for s in jpeg.segments(junky) if s.marker == jpeg.APP1)
    assert again.junk == 4 and again.start == app1.start + 4


def test_png_chunks_strict_checks_what_lenient_does_not():
    data = png(chunk(b"tEXt", b"Comment\x00hi"))
    kinds = [c.type for c in png_reader.chunks(data)]
    assert kinds[0] == b"IHDR" and kinds[1] == b"tEXt" and kinds[-1] == b"IEND"
    text = next(c for c in png_reader.chunks(data) if c.type == b"tEXt")
    bad_crc = data[: text.end - 1] + bytes([data[text.end - 1] ^ 1]) + data[text.end :]
    with pytest.raises(CorruptImage, match="bad CRC"):
        list(png_reader.chunks(bad_crc))
    assert [c.type for c in png_reader.chunks(bad_crc, strict=False)] == kinds
    cut = data[: text.end - 2]
    with pytest.raises(CorruptImage, match="tEXt"):
        list(png_reader.chunks(cut))
    assert list(png_reader.chunks(cut, strict=False))[-1].truncated


def test_the_inflate_budget_is_per_file():
    inflate = Inflater()
    half = zlib.compress(bytes(MAX_INFLATE // 2 + 1))
    inflate(half, "zTXt")
    with pytest.raises(DecompressionBomb):
        inflate(half, "zTXt")


def test_for_pillow_leaves_an_ordinary_png_as_it_is():
    data = png(chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"short")))
    assert png_reader.for_pillow(data, 1 << 20, 64 << 20) is data
    big = chunk(b"iCCP", b"p\x00\x00" + zlib.compress(bytes(2 << 20)))
    assert png_reader.for_pillow(png(big), 1 << 20, 64 << 20) == png()
    text = chunk(b"tEXt", b"Comment\x00" + bytes(600_000))
    many = png(text * 3)
    assert png_reader.for_pillow(many, 1 << 20, 64 << 20) is many
    assert png_reader.for_pillow(many, 1 << 20, 1 << 20) == png(text)  # the first fits


def test_bmff_boxes_strict_and_lenient():
    data = heif(b"heic")
    top = bmff.boxes(data, 0, len(data))
    assert [b.type for b in top] == [b"ftyp", b"meta", b"mdat"]
    assert top[-1].end == len(data)
    cut = data[: top[1].start + 40]
    with pytest.raises(CorruptImage, match="meta"):
        bmff.boxes(cut, 0, len(cut))
    lenient = bmff.boxes(cut, 0, len(cut), strict=False)
    assert [b.type for b in lenient] == [b"ftyp", b"meta"] and lenient[-1].truncated


def test_bmff_walks_are_bounded():
    many = bmff.box_bytes(b"free", b"") * (MAX_PARTS + 1)
    with pytest.raises(CorruptImage, match="more than"):
        bmff.boxes(many, 0, len(many))
    assert len(bmff.boxes(many, 0, len(many), strict=False)) == MAX_PARTS
    # an iloc whose entries have no fields at all: 65535 empty extents per item
    items = 20_000
    body = bytes([0, 0, 0, 0, 0x00, 0x00]) + struct.pack(">H", items)
    body += (struct.pack(">HHH", 1, 0, 0xFFFF)) * items
    iloc = bmff.box_bytes(b"iloc", body)
    started = time.perf_counter()
    with pytest.raises(CorruptImage, match="more than"):
        bmff.ItemLocations.parse(iloc, bmff.boxes(iloc, 0, len(iloc))[0])
    assert time.perf_counter() - started < 2


def test_webp_chunks_strict_and_lenient():
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "WEBP", exif=b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x00\x00")
    data = out.getvalue()
    end = webp_reader.riff_end(data)
    kinds = [c.fourcc for c in webp_reader.chunks(data, end)]
    assert kinds[0] == b"VP8X" and b"EXIF" in kinds
    cut = data[:-3]
    with pytest.raises(CorruptImage):
        webp_reader.riff_end(cut)
    lenient = list(webp_reader.chunks(cut, webp_reader.riff_end(cut, strict=False), strict=False))
    assert lenient[-1].truncated


def test_gif_block_ends_strict_and_lenient():
    out = io.BytesIO()
    Image.new("P", (8, 8)).save(out, "GIF", comment=b"note")
    data = out.getvalue()
    start = gif.screen_end(data)
    assert data[start] in (gif.EXTENSION, gif.IMAGE)
    assert locate(data, "gif").comments == ["note"]
    run = b"\x03abc\x05de"  # the second sub-block runs past the end, with no terminator
    with pytest.raises(CorruptImage, match="past the end"):
        gif.sub_blocks_end(run, 0)
    assert gif.sub_blocks_end(run, 0, strict=False) == len(run)
    assert gif.sub_blocks_end(b"\x03abc\x00", 0) == 5

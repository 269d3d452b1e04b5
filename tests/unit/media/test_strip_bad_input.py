"""Bad input: non-images, truncated files, lying lengths and sizes, bad CRCs, loops; then fuzzing.

Every case must end in one of our errors (``unsupported_format`` or
``corrupt_image``, with a message that names the problem) or in a result that
still decodes — never another exception. The fuzz test mutates small corpus
files of every format with Hypothesis (2,400 examples in all) and also checks
that no error came from the dispatcher's safety net (its messages start with
"malformed"), i.e. that each container module caught the damage itself.
"""

from __future__ import annotations

import io
import struct
import zlib
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from common.errors import CorruptImage, ExifqError, UnsupportedFormat
from tests.conftest import corpus_path
from tests.unit.media.test_strip import decoded
from worker.media.decode import _configure_pillow
from worker.media.strip import strip_metadata

SAMPLES = {
    "jpg": [
        "exiftool/t/images/Writer.jpg",
        "exifr/test/fixtures/orientation/f3t.jpg",
        "Pillow/Tests/images/exif_gps.jpg",
        "exiftool/t/images/ExtendedXMP.jpg",
    ],
    "png": [
        "exiftool/t/images/PNG.png",
        "Pillow/Tests/images/xmp_tags_orientation_exiftool.png",
        "Pillow/Tests/images/apng/delay.png",
    ],
    "gif": ["exiftool/t/images/GIF.gif", "Pillow/Tests/images/multiple_comments.gif"],
    "webp": ["exiftool/t/images/RIFF.webp", "Pillow/Tests/images/hopper_orientation_6.webp"],
    "tiff": [
        "exiftool/t/images/GeoTiff.tif",
        "Pillow/Tests/images/g4_orientation_6.tif",
        "exiftool/t/images/ExifTool.tif",
    ],
    "heic": ["exiftool/t/images/QuickTime.heic"],
}


def _tiny(fmt: str) -> bytes:
    """A small file with EXIF and XMP, written by Pillow (the corpus has no small HEIC or AVIF)."""
    _configure_pillow()
    exif = Image.Exif()
    exif[0x0112], exif[0x010F] = 6, "Canon"
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 40, 90)).save(
        buffer, fmt, exif=exif.tobytes(), xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>"
    )
    return buffer.getvalue()


@cache
def samples(fmt: str) -> tuple[bytes, ...]:
    files = [corpus_path(path).read_bytes() for path in SAMPLES.get(fmt, [])]
    if fmt in ("heic", "avif"):
        files.append(_tiny("HEIF" if fmt == "heic" else "AVIF"))
    if fmt == "bmp":
        buffer = io.BytesIO()
        Image.new("RGB", (9, 7), (1, 2, 3)).save(buffer, "BMP")
        files.append(buffer.getvalue())
    return tuple(files)


def corpus(path: str) -> bytes:
    return corpus_path(path).read_bytes()


def corrupt(data: bytes, match: str | None = None) -> None:
    with pytest.raises(CorruptImage, match=match):
        strip_metadata(data)


@pytest.mark.parametrize(
    "data",
    [
        *(b"", b"hello, I am text named photo.jpg", b"%PDF-1.7\n", b"RIFF\x00\x00\x00\x00WAVEfmt "),
        *(b"\xff\xd8", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", b"BM\x00\x00"),
    ],
    ids=["empty", "text", "pdf", "wav", "2-byte-jpeg", "mp4", "bm-header-only"],
)
def test_non_images_are_unsupported(data):
    with pytest.raises(UnsupportedFormat):
        strip_metadata(data)


@pytest.mark.parametrize("fraction", [0.05, 0.5, 0.9])
@pytest.mark.parametrize(
    "path",
    [
        "exif-samples/jpg/Canon_40D.jpg",
        "Pillow/Tests/images/exif.png",
        "Pillow/Tests/images/chi.gif",
        "Pillow/Tests/images/flower2.webp",
        "exiftool/t/images/ExifTool.tif",
        "exif-samples/heic/IMG_5195.HEIC",
    ],
)
def test_truncated_files_are_corrupt(path, fraction):
    data = corpus(path)
    corrupt(data[: int(len(data) * fraction)])


def test_jpeg_without_eoi_is_corrupt():
    data = corpus("exif-samples/jpg/Canon_40D.jpg")
    corrupt(data[:-2], "EOI")


def test_jpeg_segment_running_past_the_end_is_corrupt():
    data = bytearray(corpus("exif-samples/jpg/Canon_40D.jpg"))
    assert data[2] == 0xFF and data[3] >= 0xE0  # the first segment: an APPn
    data[4:6] = b"\xff\xff"
    corrupt(bytes(data), "past the end")


def test_jpeg_segment_length_below_two_is_corrupt():
    data = bytearray(corpus("exif-samples/jpg/Canon_40D.jpg"))
    data[4:6] = b"\x00\x01"
    corrupt(bytes(data), "declares 1 bytes")


def test_jpeg_ending_before_any_scan_is_corrupt():
    corrupt(b"\xff\xd8\xff\xe0\x00\x04ab\xff\xd9", "no image data")


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">L", len(body)) + kind + body + struct.pack(">L", zlib.crc32(kind + body))


def test_png_with_a_bad_crc_is_corrupt():
    data = bytearray(corpus("exiftool/t/images/PNG.png"))
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0x55
    corrupt(bytes(data), "bad CRC")


def test_png_chunk_running_past_the_end_is_corrupt():
    data = bytearray(corpus("exiftool/t/images/PNG.png"))
    data[33:37] = struct.pack(">L", 10_000_000)
    corrupt(bytes(data), "past the end")


def test_png_must_start_with_ihdr():
    data = corpus("exiftool/t/images/PNG.png")
    corrupt(data[:8] + _png_chunk(b"tEXt", b"a\x00b") + data[8:], "IHDR")


def test_png_chunk_type_must_be_letters():
    data = corpus("exiftool/t/images/PNG.png")
    corrupt(data[:33] + _png_chunk(b"t3Xt", b"x") + data[33:], "invalid type")


def test_webp_riff_size_larger_than_the_file_is_corrupt():
    data = bytearray(corpus("Pillow/Tests/images/flower2.webp"))
    data[4:8] = struct.pack("<L", len(data) + 100)
    corrupt(bytes(data), "RIFF header declares")


def test_webp_riff_size_cutting_a_chunk_is_corrupt():
    data = bytearray(corpus("Pillow/Tests/images/flower2.webp"))
    data[4:8] = struct.pack("<L", len(data) // 2)
    corrupt(bytes(data), "past the RIFF size")


def test_webp_chunk_size_lying_is_corrupt():
    data = bytearray(corpus("Pillow/Tests/images/flower2.webp"))
    assert data[12:16] == b"VP8X"
    data[16:20] = struct.pack("<L", 1 << 30)
    corrupt(bytes(data), "past the RIFF size")


def test_webp_riff_size_ending_early_at_a_chunk_drops_the_rest():
    data = corpus("exiftool/t/images/RIFF.webp")
    first_end = 12 + 8 + struct.unpack_from("<L", data, 16)[0]
    first_end += first_end % 2
    image_chunks = data[: first_end + 8 + struct.unpack_from("<L", data, first_end + 4)[0]]
    shortened = bytearray(image_chunks + data[len(image_chunks) :])
    shortened[4:8] = struct.pack("<L", len(image_chunks) - 8)
    result = strip_metadata(bytes(shortened))
    assert result.report["removed"][-1]["type"] == "data after RIFF"


def test_gif_with_a_truncated_colour_table_is_corrupt():
    corrupt(corpus("Pillow/Tests/images/chi.gif")[:100], "colour table")


def _tiff_header(order: str, first_ifd: int) -> bytes:
    return (b"II" if order == "<" else b"MM") + struct.pack(order + "HL", 42, first_ifd)


def test_tiff_ifd_loop_is_corrupt():
    ifd = struct.pack("<H", 1) + struct.pack("<HHLL", 256, 4, 1, 8) + struct.pack("<L", 8)
    corrupt(_tiff_header("<", 8) + ifd, "loops")


def test_tiff_strip_past_the_end_is_corrupt():
    entries = [(256, 4, 1, 1), (257, 4, 1, 1), (273, 4, 1, 4000), (279, 4, 1, 16)]
    ifd = struct.pack("<H", len(entries))
    ifd += b"".join(struct.pack("<HHLL", *entry) for entry in entries) + bytes(4)
    corrupt(_tiff_header("<", 8) + ifd, "runs past the end")


def test_tiff_strip_with_data_but_no_byte_count_is_corrupt():
    entries = [(256, 4, 1, 1), (257, 4, 1, 1), (273, 4, 1, 8), (279, 4, 1, 0)]
    ifd = struct.pack("<H", len(entries))
    ifd += b"".join(struct.pack("<HHLL", *entry) for entry in entries) + bytes(4)
    corrupt(_tiff_header("<", 8) + ifd, "byte count of 0")


@pytest.mark.parametrize(
    "data",
    [
        _tiff_header("<", 0),
        _tiff_header(">", 4000),
        _tiff_header("<", 8) + struct.pack("<H", 60000),
        _tiff_header("<", 8) + struct.pack("<H", 1) + struct.pack("<HHLL", 256, 4, 9, 900),
    ],
    ids=["no-ifd", "ifd-past-end", "absurd-count", "value-past-end"],
)
def test_malformed_tiff_structures_are_corrupt(data):
    corrupt(data)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">L4s", 8 + len(payload), kind) + payload


def test_heif_box_running_past_the_end_is_corrupt():
    data = bytearray(_tiny("HEIF"))
    meta = struct.unpack_from(">L", data)[0]  # the meta box follows ftyp
    assert data[meta + 4 : meta + 8] == b"meta"
    data[meta : meta + 4] = struct.pack(">L", len(data) * 2)
    corrupt(bytes(data), "past its parent")


@pytest.mark.parametrize(
    "meta",
    [
        _box(b"meta", bytes(4) + _box(b"iinf", bytes(6))),
        _box(b"meta", bytes(4) + _box(b"iinf", bytes(6)) + _box(b"iloc", b"\x03" + bytes(7))),
        _box(b"meta", bytes(4) + _box(b"iloc", b"\x00\x00\x00\x00\x33\x00\x00\x00")),
    ],
    ids=["items-without-iloc", "iloc-version-3", "iloc-field-size-3"],
)
def test_malformed_heif_tables_are_corrupt(meta):
    ftyp = _box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic")
    data = ftyp + meta + _box(b"mdat", b"")
    if b"iinf" not in meta:
        data = ftyp + _box(b"meta", meta[8:] + _box(b"iinf", bytes(6))) + _box(b"mdat", b"")
    corrupt(data)


def test_heif_with_two_meta_boxes_is_corrupt():
    heic = _tiny("HEIF")
    meta = struct.unpack_from(">L", heic)[0]
    corrupt(heic + heic[meta : meta + struct.unpack_from(">L", heic, meta)[0]], "2 top-level meta")


# --- fuzzing ------------------------------------------------------------------------------


@st.composite
def mutated(draw, fmt: str) -> bytes:
    """A sample of ``fmt`` with 1-4 random edits: flips, truncation, insertion, deletion, and
    large values written over what may be a length field."""
    data = bytearray(draw(st.sampled_from(samples(fmt))))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        edit = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "length"]))
        if edit == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif edit == "truncate":
            del data[pos:]
        elif edit == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif edit == "delete":
            del data[pos : pos + draw(st.integers(1, 32))]
        else:
            data[pos : pos + 4] = draw(
                st.sampled_from([b"\xff\xff", b"\x00\x00", b"\xff\xff\xff\x7f"])
            )
    return bytes(data)


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow on broken inputs
@pytest.mark.parametrize("fmt", ["jpg", "png", "gif", "webp", "tiff", "heic", "avif", "bmp"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_files_give_a_result_or_our_error(fmt, data):
    damaged = data.draw(mutated(fmt))
    try:
        result = strip_metadata(damaged)
    except ExifqError as exc:
        assert isinstance(exc, CorruptImage | UnsupportedFormat)
        assert not exc.message.startswith("malformed "), exc.message
        return
    before = decoded(damaged, max_pixels=1_000_000)  # the samples are tiny; a mutated header
    if before is not None:  # may claim gigapixels, which must not be decoded here
        after = decoded(result.data, max_pixels=1_000_000)
        assert after is not None, "the input decoded, the output does not"
        assert len(before) == len(after)
        assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))

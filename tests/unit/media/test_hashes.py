"""Hashes bit for bit against imagehash and OpenCV (the oracles); digests; fast route; bad input."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

import cv2
import imagehash
import numpy as np
import pytest
from PIL import Image

from common.errors import BadRequest, CorruptImage, DecompressionBomb, UnsupportedFormat
from common.operations.hashes import HASH_TYPES
from tests.conftest import corpus_files, corpus_params
from worker.media import hashes
from worker.media.decode import load_pixels, open_image
from worker.media.hashes import compute_hashes, hash_image, to_bits

PERCEPTUAL = ("phash", "dhash", "ahash", "whash", "bmh0", "bmh1")
GREY = ("phash", "dhash", "ahash", "whash")

# Corpus files Pillow itself cannot decode (see the corpus README): an error, never a hash.
UNDECODABLE = {
    "Pillow/Tests/images/truncated_jpeg.jpg",
    "Pillow/Tests/images/ultrahdr.jpg",
    "exiftool/t/images/QuickTime.heic",
}


def reference_hashes(data: bytes) -> dict[str, str]:
    """What imagehash, OpenCV and hashlib say for a file, opened by Pillow as we open it."""
    image, _ = open_image(data)
    expected = {
        "phash": str(imagehash.phash(image)),
        "dhash": str(imagehash.dhash(image)),
        "ahash": str(imagehash.average_hash(image)),
        "whash": str(imagehash.whash(image)),
    }
    bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[..., ::-1])
    for mode in (0, 1):
        packed = cv2.img_hash.BlockMeanHash_create(mode).compute(bgr)[0]
        expected[f"bmh{mode}"] = "".join(map(str, np.unpackbits(packed, bitorder="little")))
    expected["md5"] = hashlib.md5(data).hexdigest()
    expected["sha256"] = hashlib.sha256(data).hexdigest()
    return expected


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def bit_distance(a: str, b: str) -> int:
    if len(a) == 16:
        return (int(a, 16) ^ int(b, 16)).bit_count()
    return sum(x != y for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("corpus_file", corpus_params())
def test_corpus_file_hashes_equal_imagehash_and_opencv(corpus_file):
    if corpus_file.id in UNDECODABLE:
        with pytest.raises(CorruptImage):
            compute_hashes(corpus_file.data, PERCEPTUAL)
        return
    assert compute_hashes(corpus_file.data, HASH_TYPES) == reference_hashes(corpus_file.data)


def _photo_like(width: int, height: int, seed: int = 1) -> Image.Image:
    """A smooth random image with some noise: a stand-in for a photograph."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    smooth = Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC)
    noisy = np.asarray(smooth).astype(np.int16) + rng.integers(-6, 7, (height, width, 1))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def _animated(fmt: str, mode: str = "RGB") -> bytes:
    frames = [Image.new(mode, (40, 30), colour) for colour in ("red", "blue", "green")]
    frames[0].paste(Image.new(mode, (10, 10), "white"), (5, 5))
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=50)


def _synthetic_cases() -> dict[str, bytes]:
    photo = _photo_like(96, 64)
    rgba = photo.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(photo.size))
    palette_with_transparency = photo.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    palette_with_transparency.info["transparency"] = 3
    sixteen_bit = Image.fromarray(
        (np.asarray(photo.convert("L")).astype(np.uint16) * 257).astype(np.uint16)
    )
    return {
        "cmyk-jpeg": encode(photo.convert("CMYK"), "JPEG", quality=90),
        "grey-jpeg": encode(photo.convert("L"), "JPEG"),
        "rgba-png": encode(rgba, "PNG"),
        "la-png": encode(rgba.convert("LA"), "PNG"),
        "palette-transparency-png": encode(palette_with_transparency, "PNG"),
        "16-bit-png": encode(sixteen_bit, "PNG"),
        "1-bit-png": encode(photo.convert("1"), "PNG"),
        "float-tiff": encode(photo.convert("F"), "TIFF"),
        "int32-tiff": encode(photo.convert("I"), "TIFF"),
        "animated-gif": _animated("GIF"),
        "animated-webp": _animated("WEBP"),
        "animated-png": _animated("PNG"),
        "fully-transparent-png": encode(Image.new("RGBA", (50, 40), (200, 10, 10, 0)), "PNG"),
        "flat-grey-png": encode(Image.new("L", (70, 70), 128), "PNG"),
        "flat-colour-bmp": encode(Image.new("RGB", (33, 17), (12, 200, 99)), "BMP"),
        "1x1-png": encode(Image.new("RGB", (1, 1), (10, 20, 30)), "PNG"),
        "100000x1-png": encode(_photo_like(100_000, 1), "PNG"),
        "1x3000-png": encode(_photo_like(1, 3000), "PNG"),
        "2x3-png": encode(_photo_like(2, 3), "PNG"),
        "512x512-jpeg": encode(_photo_like(512, 512), "JPEG"),
        "256x256-png": encode(_photo_like(256, 256), "PNG"),
        "1000x700-webp": encode(_photo_like(1000, 700), "WEBP"),
        "700x1000-heic": _heic(_photo_like(700, 1000)),
    }


def _heic(image: Image.Image) -> bytes:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    return encode(image, "HEIF", quality=80)


SYNTHETIC = _synthetic_cases()


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_modes_sizes_and_frames_hash_like_imagehash_and_opencv(name):
    data = SYNTHETIC[name]
    assert compute_hashes(data, HASH_TYPES) == reference_hashes(data)


def test_public_hash_functions_equal_imagehash_on_any_mode():
    photo = _photo_like(120, 80, seed=5)
    for image in (photo, photo.convert("P"), photo.convert("CMYK"), photo.convert("LA")):
        assert hashes.phash(image) == str(imagehash.phash(image))
        assert hashes.dhash(image) == str(imagehash.dhash(image))
        assert hashes.average_hash(image) == str(imagehash.average_hash(image))
        assert hashes.whash(image) == str(imagehash.whash(image))


def test_hashes_have_the_documented_shapes():
    result = compute_hashes(SYNTHETIC["1000x700-webp"], HASH_TYPES)
    for name in GREY:
        assert len(result[name]) == 16 and int(result[name], 16) >= 0
    assert len(result["bmh0"]) == 256 and set(result["bmh0"]) <= {"0", "1"}
    assert len(result["bmh1"]) == 968 and result["bmh1"].endswith("0000000")
    assert len(result["md5"]) == 32 and len(result["sha256"]) == 64


def test_types_come_back_in_the_order_asked_without_repeats():
    result = compute_hashes(SYNTHETIC["2x3-png"], ["sha256", "phash", "md5", "phash"])
    assert list(result) == ["sha256", "phash", "md5"]


def test_hash_image_reports_the_stored_size_and_format():
    found = hash_image(SYNTHETIC["1000x700-webp"], ["phash"])
    assert (found.width, found.height, found.format) == (1000, 700, "webp")
    digests_only = hash_image(SYNTHETIC["1000x700-webp"], ["md5"])
    assert digests_only.width is None and digests_only.format == "webp"


def test_digests_need_no_decodable_pixels():
    truncated = encode(_photo_like(300, 200), "JPEG")[:2000]
    result = compute_hashes(truncated, ["md5", "sha256"])
    assert result == {
        "md5": hashlib.md5(truncated).hexdigest(),
        "sha256": hashlib.sha256(truncated).hexdigest(),
    }


def test_file_digests_streams_in_chunks():
    data = SYNTHETIC["1000x700-webp"]
    got = hashes.file_digests(io.BytesIO(data), ["md5", "sha256"], chunk_size=777)
    assert got == {"md5": hashlib.md5(data).hexdigest(), "sha256": hashlib.sha256(data).hexdigest()}


def test_to_bits_keeps_the_hex_order():
    assert to_bits("f0") == "11110000"
    assert to_bits("63433b3ccf8e1ebe") == format(0x63433B3CCF8E1EBE, "064b")
    assert to_bits("0000000000000001") == "0" * 63 + "1"


@pytest.mark.parametrize("bad", ["", "xyz", "12 34", "0x12", "1_2", "+1f", "٣"])
def test_to_bits_refuses_what_is_not_hex(bad):
    with pytest.raises(BadRequest):
        to_bits(bad)


# ---- the fast route --------------------------------------------------------------------


def test_fast_route_hashes_the_reduced_grey_decode():
    data = encode(_photo_like(2048, 1536), "JPEG", quality=90)
    reduced, _ = open_image(data)
    reduced.draft("L", (hashes.FAST_MIN_SIDE, hashes.FAST_MIN_SIDE))
    load_pixels(reduced)
    assert reduced.size == (256, 192)  # 1/8 scale: the decode really is reduced
    fast = compute_hashes(data, GREY, fast=True)
    assert fast == {
        "phash": str(imagehash.phash(reduced)),
        "dhash": str(imagehash.dhash(reduced)),
        "ahash": str(imagehash.average_hash(reduced)),
        "whash": str(imagehash.whash(reduced)),
    }
    exact = compute_hashes(data, GREY)
    assert bit_distance(fast["phash"], exact["phash"]) <= 4


def test_fast_route_stays_within_a_bit_of_exact_on_corpus_jpegs():
    jpegs = [f.data for f in corpus_files() if f.data[:3] == b"\xff\xd8\xff"]
    distances = {name: [] for name in GREY}
    for data in jpegs:
        try:
            exact = compute_hashes(data, GREY)
        except CorruptImage:
            continue
        fast = compute_hashes(data, GREY, fast=True)
        for name in GREY:
            distances[name].append(bit_distance(fast[name], exact[name]))
    assert len(distances["phash"]) >= 75
    for name in GREY:
        assert np.mean(distances[name]) <= 1.0, name
        assert np.mean(np.array(distances[name]) == 0) >= 0.85, name


def test_fast_route_changes_nothing_for_other_formats():
    data = SYNTHETIC["1000x700-webp"]
    assert compute_hashes(data, HASH_TYPES, fast=True) == compute_hashes(data, HASH_TYPES)


def test_fast_route_with_block_mean_hashes_decodes_in_full():
    data = encode(_photo_like(2048, 1536), "JPEG", quality=90)
    types = ["phash", "bmh1"]
    assert compute_hashes(data, types, fast=True) == compute_hashes(data, types)


# ---- bad input ---------------------------------------------------------------------------


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares width × height but whose image data holds almost nothing."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes(16))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("types", [["phash"], ["md5"], ["bmh1", "sha256"]])
@pytest.mark.parametrize("data", [b"", b"hello, not an image", b"%PDF-1.7\n" + bytes(100)])
def test_non_images_are_unsupported(data, types):
    with pytest.raises(UnsupportedFormat):
        compute_hashes(data, types)


@pytest.mark.parametrize("types", [["phash"], ["whash"], ["bmh0"]])
def test_truncated_and_garbled_images_are_corrupt(types):
    jpeg = encode(_photo_like(300, 200), "JPEG")
    for data in (jpeg[:2000], jpeg[:200], b"\x89PNG\r\n\x1a\n" + bytes(64), _png_declaring(50, 50)):
        with pytest.raises(CorruptImage):
            compute_hashes(data, types)


def test_decompression_bombs_are_refused_before_decoding():
    with pytest.raises(DecompressionBomb):
        compute_hashes(_png_declaring(100_000, 100_000), ["phash"])
    with pytest.raises(DecompressionBomb):
        compute_hashes(SYNTHETIC["1000x700-webp"], ["bmh1"], max_pixels=500_000)


def test_unknown_types_are_bad_requests():
    with pytest.raises(BadRequest, match="colorhash"):
        compute_hashes(SYNTHETIC["2x3-png"], ["phash", "colorhash"])


def test_modes_pillow_cannot_convert_to_grey_still_hash():
    lab = Image.new("LAB", (40, 30), (50, 20, 200))
    assert set(compute_hashes(encode(lab, "TIFF"), GREY)) == set(GREY)

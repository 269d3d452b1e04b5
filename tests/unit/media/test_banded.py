"""Banded grey resizes (:mod:`worker.media.banded`) against Pillow's own one-call resize,
which is what imagehash runs: bit for bit, for every mode and both resize orders, and a
baseline JPEG decoded in bands without the whole image in memory."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from common.errors import CorruptImage
from tests.conftest import corpus_params
from worker.media.banded import _streamable, _vertical_first, grey_resized
from worker.media.decode import open_image
from worker.media.hashes import hash_image

LANCZOS = Image.Resampling.LANCZOS
SIZES = [(32, 32), (8, 8), (9, 8), (64, 16)]


def _photo(width: int, height: int, seed: int = 1) -> Image.Image:
    """Smooth colour fields with per-pixel noise (what JPEGs of photos hold)."""
    rng = np.random.default_rng(seed)
    fields = Image.fromarray(rng.integers(0, 256, (5, 5, 3), dtype=np.uint8))
    base = np.asarray(fields.resize((width, height), Image.Resampling.BICUBIC), dtype=np.int16)
    noisy = base + rng.integers(-20, 21, base.shape, dtype=np.int16)
    return Image.fromarray(noisy.clip(0, 255).astype(np.uint8))


def _encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _reference(data: bytes, size: tuple[int, int]) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("L").resize(size, LANCZOS).tobytes()


CASES = {
    "jpeg baseline 4:2:0": lambda im: _encoded(im, "JPEG", quality=90),
    "jpeg 4:4:4": lambda im: _encoded(im, "JPEG", quality=75, subsampling=0),
    "jpeg progressive": lambda im: _encoded(im, "JPEG", quality=85, progressive=True),
    "jpeg grey": lambda im: _encoded(im.convert("L"), "JPEG"),
    "jpeg cmyk": lambda im: _encoded(im.convert("CMYK"), "JPEG"),
    "png rgb": lambda im: _encoded(im, "PNG"),
    "png rgba": lambda im: _encoded(im.convert("RGBA"), "PNG"),
    "png palette": lambda im: _encoded(im.convert("P"), "PNG"),
    "png grey+alpha": lambda im: _encoded(im.convert("LA"), "PNG"),
    "png 16-bit": lambda im: _encoded(im.convert("I;16"), "PNG"),
    "png 1-bit": lambda im: _encoded(im.convert("1"), "PNG"),
    "webp": lambda im: _encoded(im, "WEBP", quality=80),
    "tiff": lambda im: _encoded(im, "TIFF"),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("shape", [(1, 1), (31, 33), (641, 479), (300, 1100), (1500, 260)])
def test_equals_pillows_one_call_resize(case: str, shape: tuple[int, int]) -> None:
    data = CASES[case](_photo(*shape))
    image, _ = open_image(data)
    got = grey_resized(image, data, SIZES)
    for size, small in zip(SIZES, got, strict=True):
        assert small.mode == "L" and small.size == size
        assert small.tobytes() == _reference(data, size), (case, shape, size)


def test_tall_images_take_pillows_vertical_first_order() -> None:
    """Pillow resizes a tall image down vertically first: the result still matches."""
    assert _vertical_first(300, 1100, 32, 32) or not _vertical_first(1100, 300, 32, 32)
    data = _encoded(_photo(200, 1600), "JPEG", quality=90)
    image, _ = open_image(data)
    assert _streamable(image)
    (small,) = grey_resized(image, data, [(32, 32)])
    assert small.tobytes() == _reference(data, (32, 32))


def test_only_baseline_rgb_jpegs_stream() -> None:
    photo = _photo(64, 48)
    for data, streams in [
        (_encoded(photo, "JPEG"), True),
        (_encoded(photo, "JPEG", progressive=True), True),
        (_encoded(photo.convert("L"), "JPEG"), False),
        (_encoded(photo, "PNG"), False),
    ]:
        assert _streamable(open_image(data)[0]) is streams


def test_truncated_and_damaged_jpegs_are_corrupt_images() -> None:
    data = _encoded(_photo(800, 600), "JPEG", quality=90)
    with pytest.raises(CorruptImage):
        grey_resized(open_image(data)[0], data[: len(data) // 2], [(32, 32)])
    scan = data.index(b"\xff\xda") + 40
    damaged = data[:scan] + b"\xff\xd0" * 200 + data[scan + 400 :]
    try:
        small = grey_resized(open_image(damaged)[0], damaged, [(32, 32)])
    except CorruptImage:
        return
    with Image.open(io.BytesIO(damaged)) as image:  # libjpeg recovered: so did Pillow
        assert small[0].tobytes() == image.convert("L").resize((32, 32), LANCZOS).tobytes()


_PEAK = """
import sys
from worker.media.banded import grey_resized
from worker.media.decode import open_image
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) // 1024
data = open(sys.argv[1], "rb").read()
image, _ = open_image(data)
before = hwm()
grey_resized(image, data, [(32, 32), (8, 8)])
print(hwm() - before)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="VmHWM is Linux's")
def test_a_large_jpeg_is_hashed_without_its_whole_image(tmp_path) -> None:
    """A 36 MP JPEG: Pillow's whole RGB decode is 144 MB; in bands it costs a few MB."""
    path = tmp_path / "big.jpg"
    path.write_bytes(_encoded(_photo(6000, 6000), "JPEG", quality=85))
    proc = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path)], capture_output=True, text=True, check=True
    )
    grown_mb = int(proc.stdout.strip())
    assert grown_mb < 40, f"peak grew by {grown_mb} MB"


def test_a_decoder_error_mid_stream_is_a_corrupt_image() -> None:
    """libjpeg refusing the data (here a Huffman table it cannot use) is ``CorruptImage``,
    and the mapped rows are given back even while the error holds the decoder."""
    data = bytearray(_encoded(_photo(400, 300), "JPEG", quality=90))
    table = data.index(b"\xff\xc4") + 5  # the counts of the first Huffman table
    data[table : table + 16] = b"\xff" * 16
    image, _ = open_image(bytes(data))
    assert _streamable(image)
    with pytest.raises(CorruptImage):
        grey_resized(image, bytes(data), [(32, 32)])


GREY_HASHES = ["phash", "dhash", "ahash", "whash"]


@pytest.mark.parametrize("corpus_file", corpus_params())
def test_corpus_grey_hashes_equal_imagehash_when_read_in_bands(corpus_file) -> None:
    """Grey hashes alone take the banded (and for baseline JPEGs streamed) route."""
    import imagehash

    from tests.unit.media.test_hashes import UNDECODABLE

    if corpus_file.id in UNDECODABLE:
        pytest.skip("Pillow cannot decode it either")
    ours = hash_image(corpus_file.data, GREY_HASHES).hashes
    image, _ = open_image(corpus_file.data)
    functions = (imagehash.phash, imagehash.dhash, imagehash.average_hash, imagehash.whash)
    assert ours == {name: str(f(image)) for name, f in zip(GREY_HASHES, functions, strict=True)}

"""Perceptual and cryptographic hashes of an image file.

- ``phash``, ``dhash``, ``ahash``, ``whash``: 64 bits as 16 hex characters,
  bit for bit what imagehash's ``phash``, ``dhash``, ``average_hash`` and
  ``whash`` (default arguments) give for the image as Pillow opens it (first
  frame, stored orientation). The steps follow imagehash 4.3
  (https://github.com/JohannesBuchner/imagehash): Pillow's ``convert("L")`` and
  LANCZOS resize, then numpy; the DCT and the Haar wavelet reproduce SciPy's
  and PyWavelets' arithmetic (:mod:`.pocketfft_dct`, :mod:`.haar`).
- ``bmh0``, ``bmh1``: OpenCV's BlockMeanHash modes 0 and 1 as bit strings
  (256 and 968 characters; see :mod:`.cv_block_mean`), computed on the image
  converted to RGB.
- ``md5``, ``sha256``: hex digests of the file bytes.

With ``fast=True`` a JPEG is decoded in grey at reduced scale (libjpeg's DCT
scaling through Pillow's ``draft``) before the imagehash-style hashes: about
3.7 times faster on 12 MP photos, a fraction of a bit away from the exact hash
on average (see README). BlockMeanHash samples pixels without low-pass
filtering, so a reduced decode moves ~4 % of its bits: when ``bmh0``/``bmh1``
is asked, the image is decoded at full scale and every hash is exact.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
from PIL import Image

from common.errors import BadRequest, UnsupportedFormat
from common.operations.hashes import HASH_TYPES

from . import cv_block_mean, haar
from .banded import grey_resized
from .decode import DEFAULT_MAX_PIXELS, load_pixels, open_image
from .formats import require_format
from .pocketfft_dct import dct2
from .reasons import reason

LANCZOS = Image.Resampling.LANCZOS
HASH_SIZE = 8  # imagehash's default: 8×8 = 64 bits

GREY_HASHES = ("phash", "dhash", "ahash", "whash")
BLOCK_MEAN_HASHES = {"bmh0": 0, "bmh1": 1}
DIGESTS = ("md5", "sha256")
_HEX = re.compile(r"[0-9a-fA-F]+")

# Fast route: the shortest side (in pixels) a reduced-scale JPEG decode must
# keep. libjpeg scales by 1/2, 1/4 or 1/8; Pillow picks the strongest that
# keeps both sides at least this long. (Measured with bench/hash.py: 128 keeps
# pHash within a mean 0.25 bits of exact on 12 MP photos; larger sides cost
# time on mid-sized images and gained nothing measurable.)
FAST_MIN_SIDE = 128


@dataclass(frozen=True)
class ImageHashes:
    """What hashing one file gives: the hashes by type, and the stored image size."""

    hashes: dict[str, str] = field(default_factory=dict)
    width: int | None = None  # None when only digests were asked (nothing decoded)
    height: int | None = None
    format: str | None = None  # sniffed short name: "jpg", "png", ...


def compute_hashes(
    data: bytes,
    types: Sequence[str],
    *,
    fast: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> dict[str, str]:
    """Hash ``data`` (an image file) with each of ``types``; see :func:`hash_image`."""
    return hash_image(data, types, fast=fast, max_pixels=max_pixels).hashes


def hash_image(
    data: bytes,
    types: Sequence[str],
    *,
    fast: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> ImageHashes:
    """Hash ``data`` with ``types`` (``common.operations.hashes.HASH_TYPES``), in that order.

    Raises ``BadRequest`` for an unknown type, ``UnsupportedFormat`` when the
    bytes are no image we handle, and, when a perceptual hash needs the
    pixels, ``DecompressionBomb`` (over ``max_pixels``) or ``CorruptImage``.
    """
    wanted = tuple(dict.fromkeys(types))
    unknown = sorted(set(wanted) - set(HASH_TYPES))
    if unknown:
        raise BadRequest(f"unknown hash type: {', '.join(unknown)}")
    fmt = require_format(data)
    hashes = {name: hashlib.new(name, data).hexdigest() for name in wanted if name in DIGESTS}
    visual = [name for name in wanted if name not in DIGESTS]
    if not visual:
        return ImageHashes({name: hashes[name] for name in wanted}, format=fmt.name)
    image, fmt = open_image(data, max_pixels=max_pixels)
    width, height = image.size
    hashes.update(_visual_hashes(image, data, visual, fast=fast))
    return ImageHashes({name: hashes[name] for name in wanted}, width, height, fmt.name)


def _visual_hashes(
    image: Image.Image, data: bytes, types: Sequence[str], *, fast: bool
) -> dict[str, str]:
    """Decode ``image`` once (reduced if ``fast``) and compute the perceptual ``types``.

    The grey hashes read only their small grey resizes, made band by band
    (:func:`.banded.grey_resized`: no whole grey copy; a baseline JPEG is even decoded in
    bands when no BlockMeanHash needs the whole RGB image)."""
    grey_types = [name for name in types if name in GREY_HASHES]
    if fast and len(grey_types) == len(types):
        _draft_grey(image)
    if len(grey_types) < len(types):
        load_pixels(image)  # BlockMeanHash reads RGB rows: the whole image, once
    hashes = {}
    if grey_types:
        sizes = [_GREY_SIZES[name](image.size) for name in grey_types]
        small = grey_resized(image, data, sizes)
        hashes.update(
            {name: GREY_HASH_FUNCTIONS[name](g) for name, g in zip(grey_types, small, strict=True)}
        )
    for name in types:
        if name in BLOCK_MEAN_HASHES:
            hashes[name] = block_mean_hash(image, BLOCK_MEAN_HASHES[name])
    return hashes


def _whash_side(size: tuple[int, int]) -> int:
    """wHash's resize: the largest power of two ≤ the shorter side, at least 8."""
    return max(2 ** int(np.log2(min(size))), HASH_SIZE)


# The grey resize (width, height) each hash starts from; each function below, given an
# image of exactly that size in mode L, resizes nothing more (Pillow copies on same size).
_GREY_SIZES = {
    "phash": lambda size: (HASH_SIZE * 4, HASH_SIZE * 4),
    "dhash": lambda size: (HASH_SIZE + 1, HASH_SIZE),
    "ahash": lambda size: (HASH_SIZE, HASH_SIZE),
    "whash": lambda size: (_whash_side(size),) * 2,
}


def _draft_grey(image: Image.Image) -> None:
    """Ask a JPEG decoder for a grey, reduced-scale decode (other formats decode as usual)."""
    if image.format in ("JPEG", "MPO"):
        image.draft("L", (FAST_MIN_SIDE, FAST_MIN_SIDE))


def convert(image: Image.Image, mode: str) -> Image.Image:
    """``image.convert(mode)``, through RGB for the few modes Pillow can't convert directly."""
    if image.mode == mode:
        return image
    try:
        return image.convert(mode)
    except ValueError:
        pass
    try:
        return image.convert("RGB").convert(mode)
    except ValueError as exc:
        raise UnsupportedFormat(f"cannot read pixels of mode {image.mode}: {reason(exc)}") from None


def _to_hex(bits: np.ndarray) -> str:
    """Bits (row-major) as hex, most significant bit first, like ``str(imagehash.ImageHash)``."""
    return np.packbits(bits.ravel().astype(bool)).tobytes().hex()


def _grey_pixels(image: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """imagehash's first step: grey, then LANCZOS (``ANTIALIAS``) to ``size`` = (width, height)."""
    return np.asarray(convert(image, "L").resize(size, LANCZOS))


def average_hash(image: Image.Image) -> str:
    """aHash: which of the 8×8 grey pixels are brighter than their mean.

    == ``str(imagehash.average_hash(image))``; after Krawetz, "Looks Like It"
    (hackerfactor.com, 2011).
    """
    pixels = _grey_pixels(image, (HASH_SIZE, HASH_SIZE))
    return _to_hex(pixels > np.mean(pixels))


def dhash(image: Image.Image) -> str:
    """dHash: whether each pixel of a 9×8 grey image is brighter than its left neighbour.

    == ``str(imagehash.dhash(image))``; after Krawetz, "Kind of Like That" (2013).
    """
    pixels = _grey_pixels(image, (HASH_SIZE + 1, HASH_SIZE))
    return _to_hex(pixels[:, 1:] > pixels[:, :-1])


def phash(image: Image.Image) -> str:
    """pHash: the 8×8 lowest frequencies of the 2-D DCT-II of a 32×32 grey image, > their median.

    == ``str(imagehash.phash(image))`` (``highfreq_factor`` 4); the DCT is
    SciPy's, reproduced by :func:`.pocketfft_dct.dct2`.
    """
    side = HASH_SIZE * 4
    pixels = _grey_pixels(image, (side, side))
    low = dct2(dct2(pixels, axis=0), axis=1)[:HASH_SIZE, :HASH_SIZE]
    return _to_hex(low > np.median(low))


def whash(image: Image.Image) -> str:
    """wHash: Haar approximation at 8×8 of the image with its coarsest approximation removed.

    == ``str(imagehash.whash(image))`` (haar, ``remove_max_haar_ll``). The
    image is resized to S×S, S the largest power of two ≤ its shorter side
    (at least 8); the full Haar pyramid is taken, the top approximation
    zeroed, the image rebuilt, and its level-log2(S/8) approximation compared
    with its median.

    Every Haar coefficient down to level log2(S/8) depends only on its own
    band of S/8 rows, so the two full-size passes run band by band: the same
    arithmetic as PyWavelets on the whole image, holding floats for one band
    (S²/8 values) at a time instead of several S×S arrays (for S = 8192,
    under 200 MB instead of about 2 GB).
    """
    grey = convert(image, "L")
    scale = _whash_side(grey.size)
    top_level = int(np.log2(scale))
    band_level = top_level - int(np.log2(HASH_SIZE))
    band = scale // HASH_SIZE
    pixels = np.asarray(grey.resize((scale, scale), LANCZOS))

    def band_floats(i: int) -> np.ndarray:
        return pixels[i * band : (i + 1) * band] / 255.0

    coarse = np.vstack([haar.approximation(band_floats(i), band_level) for i in range(HASH_SIZE)])
    coarse_coeffs = haar.wavedec2(coarse, top_level - band_level)
    coarse_coeffs[0] = coarse_coeffs[0] * 0
    flattened = haar.waverec2(coarse_coeffs)  # the level-band_level approximation, rebuilt

    low_rows = []
    for i in range(HASH_SIZE):
        coeffs = haar.wavedec2(band_floats(i), band_level)
        coeffs[0] = flattened[i : i + 1]
        low_rows.append(haar.approximation(haar.waverec2(coeffs), band_level))
    low = np.vstack(low_rows)
    return _to_hex(low > np.median(low))


def block_mean_hash(image: Image.Image, mode: int = 1) -> str:
    """OpenCV BlockMeanHash as a bit string: character i is block i's bit.

    == the bits of ``cv2.img_hash.BlockMeanHash_create(mode).compute(bgr)``
    for ``bgr`` the image converted to RGB, channels reversed, each output
    byte read least significant bit first: 256 characters for mode 0, 968 for
    mode 1 (961 blocks, then the 7 always-zero bits of the last byte).
    Only the source rows the 256-row resize reads are converted.
    """
    rows = cv_block_mean.source_indices(image.height)
    pixels = _rows_for_opencv(image, rows)
    bits = cv_block_mean.block_mean_bits(pixels, mode, height=image.height, rows=rows)
    padded = np.zeros(len(bits) + -len(bits) % 8, dtype=np.uint8)
    padded[: len(bits)] = bits
    return (padded + ord("0")).tobytes().decode("ascii")


def _rows_for_opencv(image: Image.Image, rows: np.ndarray) -> np.ndarray:
    """The given rows as OpenCV would get the image converted to RGB: BGR, or grey for grey.

    Rows are cropped in runs of consecutive rows (a 12 MP photo needs ~256 runs
    of 2), which is several times faster than converting the whole image to an
    array. Grey stays one channel: OpenCV's BGR→grey maps (v, v, v) back to v
    exactly; RGBA and RGBX only lose their fourth channel in RGB.
    """
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    bands = []
    for run in np.split(rows, breaks):
        band = image.crop((0, int(run[0]), image.width, int(run[-1]) + 1))
        if band.mode not in ("L", "RGB", "RGBA", "RGBX"):
            band = convert(band, "RGB")
        bands.append(np.asarray(band))
    pixels = np.concatenate(bands)
    return pixels if pixels.ndim == 2 else pixels[..., 2::-1]


def to_bits(hex_hash: str) -> str:
    """A hex hash as a bit string in the same order ('f0' → '11110000'), as Ximilar writes pHash."""
    if not _HEX.fullmatch(hex_hash):
        raise BadRequest(f"not a hex hash: {hex_hash[:80]!r}")
    return format(int(hex_hash, 16), f"0{4 * len(hex_hash)}b")


def file_digests(
    stream: BinaryIO, types: Iterable[str] = DIGESTS, *, chunk_size: int = 1 << 20
) -> dict[str, str]:
    """Hex digests of everything left in ``stream``, read in chunks (one pass for all types)."""
    hashers = {name: hashlib.new(name) for name in types if name in DIGESTS}
    while chunk := stream.read(chunk_size):
        for hasher in hashers.values():
            hasher.update(chunk)
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}


GREY_HASH_FUNCTIONS = {"phash": phash, "dhash": dhash, "ahash": average_hash, "whash": whash}

"""The numeric kernels behind the hashes, bit for bit against SciPy, PyWavelets and OpenCV."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import pywt
import scipy.fftpack

from worker.media import cv_block_mean, haar
from worker.media.pocketfft_dct import dct2

RNG_SEED = 20240601


def _pixel_blocks(rng: np.random.Generator, shape: tuple[int, ...], count: int) -> list:
    """Random, flat, nearly flat and single-stripe uint8 arrays: flat ones make rounding noise
    decide the result, which is where a merely-close implementation would differ."""
    blocks = []
    for i in range(count):
        kind = i % 4
        if kind == 0:
            block = rng.integers(0, 256, shape)
        elif kind == 1:
            block = np.full(shape, rng.integers(0, 256))
        elif kind == 2:
            block = rng.integers(100, 103, shape)
        else:
            block = np.full(shape, rng.integers(0, 256))
            block[rng.integers(0, shape[0])] = rng.integers(0, 256)
        blocks.append(block.astype(np.uint8))
    return blocks


def test_dct_matches_scipy_fftpack_bit_for_bit_on_32x32():
    rng = np.random.default_rng(RNG_SEED)
    for pixels in _pixel_blocks(rng, (32, 32), 400):
        expected = scipy.fftpack.dct(scipy.fftpack.dct(pixels, axis=0), axis=1)
        assert np.array_equal(dct2(dct2(pixels, axis=0), axis=1), expected)


@pytest.mark.parametrize("n", [2, 4, 8, 16, 64, 256])
def test_dct_matches_scipy_for_other_even_lengths(n):
    x = np.random.default_rng(n).normal(size=(20, n))
    assert np.array_equal(dct2(x), scipy.fftpack.dct(x))
    assert np.array_equal(dct2(x.T, axis=0), scipy.fftpack.dct(x.T, axis=0))


def test_dct_refuses_odd_lengths():
    with pytest.raises(ValueError, match="even"):
        dct2(np.zeros(5))


@pytest.mark.parametrize("side", [8, 16, 64, 256])
def test_haar_matches_pywavelets_bit_for_bit(side):
    rng = np.random.default_rng(side)
    level = int(np.log2(side))
    for pixels in _pixel_blocks(rng, (side, side), 12):
        floats = pixels / 255.0
        expected = pywt.wavedec2(floats, "haar", level=level)
        ours = haar.wavedec2(floats, level)
        assert np.array_equal(ours[0], expected[0])
        for mine, theirs in zip(ours[1:], expected[1:], strict=True):
            assert all(np.array_equal(a, b) for a, b in zip(mine, theirs, strict=True))
        # wHash zeroes the top approximation, rebuilds, and takes a lower approximation.
        expected[0] = expected[0] * 0
        ours[0] = ours[0] * 0
        rebuilt = pywt.waverec2(expected, "haar")
        assert np.array_equal(haar.waverec2(ours), rebuilt)
        assert np.array_equal(
            haar.approximation(rebuilt, level - 3),
            pywt.wavedec2(rebuilt, "haar", level=level - 3)[0],
        )


def test_haar_refuses_sides_not_divisible_by_the_level():
    with pytest.raises(ValueError, match="divisible"):
        haar.wavedec2(np.zeros((12, 12)), 3)


# Sizes around every special case of OpenCV's bit-exact resize: 1 pixel (edge copy
# only), exactly 256 (copy), exactly 512 (OpenCV switches to INTER_AREA), just off
# those, extreme aspect ratios, and upscaling.
RESIZE_SIZES = [
    (1, 1),
    (1, 7),
    (7, 1),
    (2, 2),
    (3, 5),
    (255, 256),
    (256, 255),
    (256, 256),
    (512, 512),
    (511, 513),
    (100_000, 1),
    (1, 3000),
    (640, 480),
    (1000, 3),
    (257, 300),
    (4000, 3000),
]


@pytest.mark.parametrize(("width", "height"), RESIZE_SIZES)
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_resize_matches_opencv_linear_exact(width, height, channels):
    rng = np.random.default_rng(width * 7919 + height)
    shape = (height, width) if channels == 1 else (height, width, channels)
    pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    expected = cv2.resize(pixels, (256, 256), interpolation=cv2.INTER_LINEAR_EXACT)
    assert np.array_equal(cv_block_mean.resize_linear_exact(pixels), expected)
    rows = cv_block_mean.source_indices(height)
    partial = cv_block_mean.resize_linear_exact(pixels[rows], height=height, rows=rows)
    assert np.array_equal(partial, expected)


def test_grey_conversion_matches_opencv_on_every_colour():
    codes = np.arange(1 << 24, dtype=np.uint32)
    bgr = np.stack([codes >> 16, (codes >> 8) & 255, codes & 255], axis=-1).astype(np.uint8)
    bgr = bgr.reshape(4096, 4096, 3)
    assert np.array_equal(cv_block_mean.bgr_to_gray(bgr), cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))


def _opencv_bits(pixels: np.ndarray, mode: int) -> np.ndarray:
    packed = cv2.img_hash.BlockMeanHash_create(mode).compute(pixels)[0]
    return np.unpackbits(packed, bitorder="little")


@pytest.mark.parametrize("mode", [0, 1])
def test_block_mean_bits_match_opencv(mode):
    rng = np.random.default_rng(RNG_SEED + mode)
    cases = [
        rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for w, h in rng.integers(1, 900, (25, 2))
    ]
    cases += [np.full((300, 200, 3), 77, np.uint8), rng.integers(0, 256, (50, 60), dtype=np.uint8)]
    for pixels in cases:
        expected = _opencv_bits(pixels, mode)
        ours = cv_block_mean.block_mean_bits(pixels, mode)
        assert len(ours) == cv_block_mean.bit_count(mode)
        assert np.array_equal(ours, expected[: len(ours)])
        assert not expected[len(ours) :].any()  # OpenCV's padding bits are zero


def test_block_mean_threshold_is_the_image_mean_with_ties_counting_as_one():
    # Left half 0, right half 255: the image mean is 127.5, so the left blocks are 0, the right 1.
    pixels = np.zeros((256, 256), np.uint8)
    pixels[:, 128:] = 255
    bits = cv_block_mean.block_mean_bits(pixels, 0).reshape(16, 16)
    assert not bits[:, :8].any() and bits[:, 8:].all()
    # A flat image: every block mean equals the image mean, and ≥ makes every bit 1.
    assert cv_block_mean.block_mean_bits(np.full((256, 256), 9, np.uint8), 1).all()


def test_block_mean_refuses_unknown_modes():
    with pytest.raises(ValueError, match="mode"):
        cv_block_mean.block_mean_bits(np.zeros((4, 4), np.uint8), 2)

"""OpenCV's ``img_hash`` BlockMeanHash, bit for bit, in numpy (no OpenCV at run time).

``cv::img_hash::BlockMeanHash::compute`` (opencv_contrib
``modules/img_hash/src/block_mean_hash.cpp``) does, on an 8-bit BGR image:

1. ``cv::resize`` to 256×256 with ``INTER_LINEAR_EXACT``: bilinear
   interpolation in fixed point (``resize_bitExact`` in
   ``modules/imgproc/src/resize.cpp``). Per axis, destination index d samples
   source position f = scale·(d + 0.5) − 0.5 (scale = src/dst, in double);
   the weight of the right/lower neighbour is f − ⌊f⌋ rounded half-to-even to
   1/256 (``ufixedpoint16``); positions left of the first pixel or right of the
   last copy the edge pixel. The horizontal pass keeps the exact sums
   p₀·w₀ + p₁·w₁ (in 1/256), the vertical pass rounds once:
   (h₀·w₀ + h₁·w₁ + 2¹⁵) >> 16. (OpenCV's shortcuts for an exact 2× reduction
   and for an unchanged size give the same values.)
2. ``cv::cvtColor(BGR2GRAY)`` in fixed point with 15-bit coefficients:
   (3735·B + 19235·G + 9798·R + 2¹⁴) >> 15 (``RGB2Gray<uchar>`` in
   ``color_rgb.simd.hpp``); a one-channel input is used as is.
3. The mean of each 16×16 block, blocks every 16 pixels (mode 0, 16×16 = 256
   blocks) or every 8 pixels (mode 1, 31×31 = 961 blocks), row by row.
4. Each block's bit is 1 when its mean is ≥ the mean of the *whole* grey
   image (the source calls that threshold "median", but computes ``cv::mean``).
   Both means are exact (sums over 256 and 65 536 pixels), so the test is
   256·block_sum ≥ image_sum in integers.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

SIZE = 256  # OpenCV resizes to 256×256 before taking block means
BLOCK = 16
MODES = (0, 1)


class AxisPlan(NamedTuple):
    """For each destination index: two source indices and their weights in 1/256."""

    first: np.ndarray
    second: np.ndarray
    weight_first: np.ndarray
    weight_second: np.ndarray


def axis_plan(src: int, dst: int = SIZE) -> AxisPlan:
    """OpenCV's ``interpolationLinear::getCoeffs`` for every destination index."""
    scale = 1.0 / (dst / src)
    position = scale * (np.arange(dst, dtype=np.float64) + 0.5) - 0.5
    base = np.floor(position).astype(np.int64)
    frac = np.round((position - base) * 256).astype(np.int64)  # round half to even
    left = (base < 0) | (src == 1)
    right = ~left & (base >= src - 1)
    edge = left | right
    first = np.where(left, 0, np.where(right, src - 1, base))
    second = np.where(edge, first, base + 1)
    weight_second = np.where(edge, 0, frac).astype(np.int32)
    return AxisPlan(first, second, 256 - weight_second, weight_second)


def source_indices(length: int) -> np.ndarray:
    """The source rows (or columns), sorted, that the resize to 256 reads: fetch only these."""
    plan = axis_plan(length)
    return np.unique(np.concatenate([plan.first, plan.second]))


def _restricted(plan: AxisPlan, kept: np.ndarray) -> AxisPlan:
    """``plan`` for a source holding only the ``kept`` indices (which include all it reads)."""
    return plan._replace(
        first=np.searchsorted(kept, plan.first), second=np.searchsorted(kept, plan.second)
    )


def resize_linear_exact(
    pixels: np.ndarray, *, height: int | None = None, rows: np.ndarray | None = None
) -> np.ndarray:
    """``cv::resize(pixels, (256, 256), INTER_LINEAR_EXACT)`` for uint8 H×W or H×W×C arrays.

    ``pixels`` may hold only the ``rows`` (from :func:`source_indices`) of an
    image ``height`` rows tall.
    """
    down = axis_plan(pixels.shape[0] if height is None else height)
    if rows is not None:
        down = _restricted(down, rows)
    columns = source_indices(pixels.shape[1])
    across = _restricted(axis_plan(pixels.shape[1]), columns)
    lines = pixels[:, columns].astype(np.int32)  # sums stay below 2**24
    channel_axes = (None,) * (pixels.ndim - 2)
    per_column = (slice(None), *channel_axes)
    per_row = (slice(None), None, *channel_axes)
    horizontal = (
        lines[:, across.first] * across.weight_first[per_column]
        + lines[:, across.second] * across.weight_second[per_column]
    )
    vertical = (
        horizontal[down.first] * down.weight_first[per_row]
        + horizontal[down.second] * down.weight_second[per_row]
        + (1 << 15)
    ) >> 16
    return vertical.astype(np.uint8)


def bgr_to_gray(pixels: np.ndarray) -> np.ndarray:
    """``cv::cvtColor(COLOR_BGR2GRAY)`` for uint8 BGR or BGRA; grey input is returned as is."""
    if pixels.ndim == 2:
        return pixels
    b, g, r = (pixels[..., i].astype(np.int32) for i in range(3))
    return ((3735 * b + 19235 * g + 9798 * r + (1 << 14)) >> 15).astype(np.uint8)


def bit_count(mode: int) -> int:
    """How many blocks (bits) a mode has: 256 (mode 0) or 961 (mode 1)."""
    return 256 if mode == 0 else 961


def block_mean_bits(
    bgr: np.ndarray, mode: int = 1, *, height: int | None = None, rows: np.ndarray | None = None
) -> np.ndarray:
    """The hash bits, block by block, as ``BlockMeanHash_create(mode).compute(bgr)`` sets them.

    ``bgr`` is uint8 H×W (grey), H×W×3 (BGR) or H×W×4 (BGRA); ``height`` and
    ``rows`` as for :func:`resize_linear_exact`.
    """
    if mode not in MODES:
        raise ValueError(f"BlockMeanHash mode must be 0 or 1, not {mode!r}")
    grey = bgr_to_gray(resize_linear_exact(bgr, height=height, rows=rows)).astype(np.int64)
    cell = BLOCK if mode == 0 else BLOCK // 2
    cells = grey.reshape(SIZE // cell, cell, SIZE // cell, cell).sum(axis=(1, 3))
    if mode == 1:  # a 16×16 block every 8 pixels is 2×2 cells of 8×8
        cells = cells[:-1, :-1] + cells[1:, :-1] + cells[:-1, 1:] + cells[1:, 1:]
    return (cells.ravel() * (SIZE * SIZE // (BLOCK * BLOCK)) >= grey.sum()).astype(np.uint8)

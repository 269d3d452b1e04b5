"""Colours in Cloudinary's shapes, and a per-channel histogram, from the reduced copy.

- :func:`palette` — Cloudinary's ``colors``: ``[["#RRGGBB", percent], ...]``, the image
  quantized by Pillow's fast octree (1 ms; median cut costs 90 ms at the same size) to at
  most :data:`PALETTE_SIZE` colours, each with the
  share of visible pixels it stands for (one decimal, largest first; under 1 % dropped).
- :func:`predominant` — Cloudinary's ``predominant``: ``{"google": [[name, percent], ...]}``
  over the 12 names of Google's image-search colour filter (red, orange, yellow, green,
  teal, blue, purple, pink, white, gray, black, brown), each pixel named by its hue,
  saturation and value (:func:`colour_names`).
- :func:`histogram` — 256 bins per channel (red, green, blue) of the visible pixels. Per
  channel rather than a small 3-D histogram: it is what editors show (exposure, clipping),
  it compares directly with Pillow's ``Image.histogram()`` and OpenCV's ``calcHist``, and
  the joint colour distribution is what ``colors``/``predominant`` already give.

Pixels under 50 % alpha are not counted. All three read :mod:`.reduced`'s copy (the palette
and the names a 256-pixel thumbnail of it), so they approximate the full-resolution figures
(the histogram's CDF within a few hundredths: ``tests/unit/media/test_palette.py``).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

PALETTE_SIZE = 32
SAMPLE_SIDE = 256
MIN_PERCENT = 1.0
GOOGLE_NAMES = (
    "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink",
    "white", "gray", "black", "brown",
)  # fmt: skip
# Hue boundaries in degrees: each name up to its bound (red wraps around 360).
_HUES = ((15, "red"), (45, "orange"), (70, "yellow"), (165, "green"), (195, "teal"),
         (260, "blue"), (315, "purple"), (345, "pink"), (360, "red"))  # fmt: skip


def _rgb_and_visible(image: Image.Image) -> tuple[Image.Image, np.ndarray]:
    rgba = image.convert("RGBA")
    visible = np.asarray(rgba.getchannel("A")).reshape(-1) >= 128
    return rgba.convert("RGB"), visible


def _sample(image: Image.Image) -> Image.Image:
    copy = image.copy()
    copy.thumbnail((SAMPLE_SIDE, SAMPLE_SIDE), Image.Resampling.BOX)
    return copy


def _percentages(counts: dict, total: int) -> list[list]:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    out = [[key, round(100 * n / total, 1)] for key, n in ranked]
    return [pair for pair in out if pair[1] >= MIN_PERCENT]


def palette(image: Image.Image) -> list[list]:
    """Cloudinary's ``colors``."""
    rgb, visible = _rgb_and_visible(_sample(image))
    total = int(visible.sum())
    if total == 0:
        return []
    quantized = rgb.quantize(PALETTE_SIZE, method=Image.Quantize.FASTOCTREE)
    indexes = np.asarray(quantized).reshape(-1)[visible]
    colours = quantized.getpalette() or []
    counts: dict[str, int] = {}
    for index, n in zip(*np.unique(indexes, return_counts=True), strict=True):
        r, g, b = colours[3 * index : 3 * index + 3]
        key = f"#{r:02X}{g:02X}{b:02X}"
        counts[key] = counts.get(key, 0) + int(n)
    return _percentages(counts, total)


def colour_names(pixels: np.ndarray) -> np.ndarray:
    """Each ``(N, 3)`` uint8 RGB pixel's name among :data:`GOOGLE_NAMES` (as indexes)."""
    rgb = pixels.astype(np.float32) / 255
    value = rgb.max(axis=1)
    chroma = value - rgb.min(axis=1)
    saturation = np.divide(chroma, value, out=np.zeros_like(value), where=value > 0)
    r, g, b = rgb.T
    safe = np.where(chroma > 0, chroma, 1)
    hue = np.select(
        [value == r, value == g],
        [((g - b) / safe) % 6, (b - r) / safe + 2],
        (r - g) / safe + 4,
    ) * 60  # fmt: skip
    name = np.full(len(rgb), GOOGLE_NAMES.index("gray"))
    lower = 0.0
    for bound, hue_name in _HUES:
        name[(hue >= lower) & (hue < bound)] = GOOGLE_NAMES.index(hue_name)
        lower = bound
    warm = (hue < 50) | (hue >= 345)
    name[warm & (value < 0.65) & (saturation > 0.25)] = GOOGLE_NAMES.index("brown")
    reddish = (hue < 15) | (hue >= 345)
    name[reddish & (saturation < 0.5) & (value > 0.75)] = GOOGLE_NAMES.index("pink")
    grey = (saturation < 0.15) | (chroma < 0.08)
    name[grey] = GOOGLE_NAMES.index("gray")
    name[grey & (value > 0.85)] = GOOGLE_NAMES.index("white")
    name[(value < 0.18) | (grey & (value < 0.25))] = GOOGLE_NAMES.index("black")
    return name


def predominant(image: Image.Image) -> dict[str, list[list]]:
    """Cloudinary's ``predominant``."""
    rgb, visible = _rgb_and_visible(_sample(image))
    pixels = np.asarray(rgb).reshape(-1, 3)[visible]
    if len(pixels) == 0:
        return {"google": []}
    names, counts = np.unique(colour_names(pixels), return_counts=True)
    tally = {GOOGLE_NAMES[i]: int(n) for i, n in zip(names, counts, strict=True)}
    return {"google": _percentages(tally, len(pixels))}


def histogram(image: Image.Image) -> dict:
    """``{"bins": 256, "pixels": N, "red": [...], "green": [...], "blue": [...]}`` (counts)."""
    rgb, visible = _rgb_and_visible(image)
    pixels = np.asarray(rgb).reshape(-1, 3)[visible]
    channels = {
        name: np.bincount(pixels[:, i], minlength=256).tolist()
        for i, name in enumerate(("red", "green", "blue"))
    }
    return {"bins": 256, "pixels": len(pixels), **channels}

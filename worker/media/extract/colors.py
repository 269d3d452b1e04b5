"""``metadata.colors``: the predominant colours of the (first frame of the) image.

The image is reduced to at most :data:`SAMPLE_SIZE` pixels on its long side (box
filter, so every source pixel counts), quantized by Pillow's fast-octree
quantizer to at most :data:`MAX_COLORS` colours, and each palette colour is
reported with the fraction of (visible) pixels it stands for, largest first.
Pixels whose alpha is below 50% are not counted, so a transparent background
does not show up as a colour.
"""

from __future__ import annotations

from PIL import Image

MAX_COLORS = 5
SAMPLE_SIZE = 128
MIN_FRACTION = 0.005


_EIGHT_BIT_MODES = {"1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "LAB", "HSV"}


def _eight_bit(image: Image.Image) -> Image.Image:
    """A copy in an 8-bit mode; 16-bit and float greyscale are scaled from their full range."""
    if image.mode in _EIGHT_BIT_MODES:
        return image.copy()
    wide = image.convert("I") if image.mode.startswith("I;16") else image
    if wide.mode == "F":
        wide = wide.point(lambda v: v * 255)  # float images hold 0..1
    low, high = wide.getextrema()
    scale = 255 / (high - low) if high > low else 0
    return wide.point(lambda v: (v - low) * scale).convert("L")


def predominant_colors(image: Image.Image, max_colors: int = MAX_COLORS) -> list[dict]:
    """``[{"hex": "#rrggbb", "fraction": f}, ...]``, fractions summing to about 1."""
    sample = _eight_bit(image)
    sample.thumbnail((SAMPLE_SIZE, SAMPLE_SIZE), Image.Resampling.BOX)
    rgba = sample.convert("RGBA")
    alpha = rgba.getchannel("A")
    rgb = rgba.convert("RGB")
    visible = [a >= 128 for a in alpha.tobytes()]  # one byte per pixel, as in "P" below
    count = sum(visible)
    if count == 0:
        return []
    quantized = rgb.quantize(colors=max_colors, method=Image.Quantize.FASTOCTREE)
    palette = quantized.getpalette() or []
    tally: dict[int, int] = {}
    for index, shown in zip(quantized.tobytes(), visible, strict=True):
        if shown:
            tally[index] = tally.get(index, 0) + 1
    colors = []
    for index, n in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])):
        fraction = n / count
        if fraction < MIN_FRACTION:
            continue
        r, g, b = palette[3 * index : 3 * index + 3]
        colors.append({"hex": f"#{r:02x}{g:02x}{b:02x}", "fraction": round(fraction, 4)})
    return colors

"""``metadata.image``: what the image is, from its header only (no pixel is decoded).

Dimensions, mode and frame count come from Pillow's lazy ``Image.open`` (which
parses headers only; for a JPEG read without its pixels, from :mod:`worker.media.headers`,
which states them as Pillow does without importing it) and from the container walk
(:mod:`worker.media.containers`); density
from JFIF, EXIF or PNG ``pHYs``; the JPEG quality estimate from the quantization
tables, with ImageMagick's method (``coders/jpeg.c`` ``JPEGSetImageQuality``): the
sum of all table entries and the sum of four chosen coefficients are compared
with those of libjpeg's standard tables scaled to each quality 1-100.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..containers import Blocks
from ..formats import SEQUENCE_MIME, Format

if TYPE_CHECKING:
    from PIL import Image

    from ..headers import Header

# ImageMagick's reference values for the libjpeg tables at quality 1..100 (index 0 = 100%).
# fmt: off
_HASH2 = (
    1020, 1015, 932, 848, 780, 735, 702, 679, 660, 645, 632, 623, 613, 607, 600, 594, 589, 585,
    581, 571, 555, 542, 529, 514, 494, 474, 457, 439, 424, 410, 397, 386, 373, 364, 351, 341,
    334, 324, 317, 309, 299, 294, 287, 279, 274, 267, 262, 257, 251, 247, 243, 237, 232, 227,
    222, 217, 213, 207, 202, 198, 192, 188, 183, 177, 173, 168, 163, 157, 153, 148, 143, 139,
    132, 128, 125, 119, 115, 108, 104, 99, 94, 90, 84, 79, 74, 70, 64, 59, 55, 49,
    45, 40, 34, 30, 25, 20, 15, 11, 6, 4, 0,
)
_SUMS2 = (
    32640, 32635, 32266, 31495, 30665, 29804, 29146, 28599, 28104, 27670, 27225, 26725, 26210,
    25716, 25240, 24789, 24373, 23946, 23572, 22846, 21801, 20842, 19949, 19121, 18386, 17651,
    16998, 16349, 15800, 15247, 14783, 14321, 13859, 13535, 13081, 12702, 12423, 12056, 11779,
    11513, 11135, 10955, 10676, 10392, 10208, 9928, 9747, 9564, 9369, 9193, 9017, 8822,
    8639, 8458, 8270, 8084, 7896, 7710, 7527, 7347, 7156, 6977, 6788, 6607, 6422,
    6236, 6054, 5867, 5684, 5495, 5305, 5128, 4945, 4751, 4638, 4442, 4248, 4065,
    3888, 3698, 3509, 3326, 3139, 2957, 2775, 2586, 2405, 2216, 2037, 1846, 1666,
    1483, 1297, 1109, 927, 735, 554, 375, 201, 128, 0,
)
_HASH1 = (
    510, 505, 422, 380, 355, 338, 326, 318, 311, 305, 300, 297, 293, 291, 288, 286, 284, 283,
    281, 280, 279, 278, 277, 273, 262, 251, 243, 233, 225, 218, 211, 205, 198, 193, 186, 181,
    177, 172, 168, 164, 158, 156, 152, 148, 145, 142, 139, 136, 133, 131, 129, 126, 123, 120,
    118, 115, 113, 110, 107, 105, 102, 100, 97, 94, 92, 89, 87, 83, 81, 79, 76, 74,
    70, 68, 66, 63, 61, 57, 55, 52, 50, 48, 44, 42, 39, 37, 34, 31, 29, 26,
    24, 21, 18, 16, 13, 11, 8, 6, 3, 2, 0,
)
_SUMS1 = (
    16320, 16315, 15946, 15277, 14655, 14073, 13623, 13230, 12859, 12560, 12240, 11861, 11456,
    11081, 10714, 10360, 10027, 9679, 9368, 9056, 8680, 8331, 7995, 7668, 7376, 7084,
    6823, 6562, 6345, 6125, 5939, 5756, 5571, 5421, 5240, 5086, 4976, 4829, 4719,
    4616, 4463, 4393, 4280, 4166, 4092, 3980, 3909, 3835, 3755, 3688, 3621, 3541,
    3467, 3396, 3323, 3247, 3170, 3096, 3021, 2952, 2874, 2804, 2727, 2657, 2583,
    2509, 2437, 2362, 2290, 2211, 2136, 2068, 1996, 1915, 1858, 1773, 1692, 1620,
    1552, 1477, 1398, 1326, 1251, 1179, 1109, 1031, 961, 884, 814, 736, 667,
    592, 518, 441, 369, 292, 221, 151, 86, 64, 0,
)
# fmt: on


def _zigzag_to_natural() -> list[int]:
    """Position in natural (row-major) order of each zigzag index (ITU T.81 Figure A.6)."""
    order = []
    for s in range(15):
        cells = [(r, s - r) for r in range(8) if 0 <= s - r < 8]
        if s % 2 == 0:
            cells.reverse()
        order.extend(r * 8 + c for r, c in cells)
    return order


_NATURAL = _zigzag_to_natural()


def jpeg_quality(tables: dict[int, list[int]]) -> int | None:
    """ImageMagick's estimate of the IJG quality (1-100) a JPEG was saved with, or ``None``.

    ``tables`` maps table id to its 64 entries in the zigzag order of the DQT segment.
    """
    if 0 not in tables:
        return None
    natural = {}
    for tid, zz in tables.items():
        nat = [0] * 64
        for i, value in enumerate(zz):
            nat[_NATURAL[i]] = value
        natural[tid] = nat
    total = sum(sum(t) for tid, t in natural.items() if tid < 4)
    if 1 in natural:
        qvalue = natural[0][2] + natural[0][53] + natural[1][0] + natural[1][63]
        hashes, sums = _HASH2, _SUMS2
    else:
        qvalue = natural[0][2] + natural[0][53]
        hashes, sums = _HASH1, _SUMS1
    for i in range(100):
        if qvalue < hashes[i] and total < sums[i]:
            continue
        if (qvalue <= hashes[i] and total <= sums[i]) or i >= 50:
            return i + 1
        return None
    return None


def _bit_depth(image: Image.Image | Header | None, fmt: Format, blocks: Blocks) -> int | None:
    info = blocks.info
    if fmt.name == "jpg":
        return info.get("precision", 8 if image is not None else None)
    if fmt.name == "png" and "bit_depth" in info:
        return info["bit_depth"]
    if fmt.name == "tiff":
        bits = image.tag_v2.get(258) if hasattr(image, "tag_v2") else None
        if isinstance(bits, tuple):
            return bits[0] if bits else None
        return bits
    if fmt.name == "bmp" and "bpp" in info:
        channels = len(image.getbands()) or 1
        return info["bpp"] // channels if info["bpp"] >= 8 else info["bpp"]
    if fmt.name in ("heic", "heif", "avif") and info.get("pixi"):
        return info["pixi"][0]
    if image is None:
        return None
    return {"1": 1, "I;16": 16, "I": 32, "F": 32}.get(image.mode, 8)


def _has_transparency(image: Image.Image | Header | None, fmt: Format, blocks: Blocks) -> bool:
    if image is not None and (
        "A" in image.getbands()
        or image.mode in ("LA", "PA", "RGBa", "La")
        or "transparency" in image.info
    ):
        return True
    info = blocks.info
    return bool(info.get("trns") or info.get("transparency") or info.get("alpha"))


def _dpi(image: Image.Image | Header | None, blocks: Blocks) -> list[float] | None:
    dpi = image.info.get("dpi") if image is not None else None
    if not dpi:
        phys = blocks.info.get("phys")
        if phys and phys.get("unit") == 1:
            dpi = (phys["x"] * 0.0254, phys["y"] * 0.0254)
        jfif = blocks.info.get("jfif")
        if not dpi and jfif and jfif["unit"] in (1, 2) and jfif["x"] and jfif["y"]:
            scale = 1 if jfif["unit"] == 1 else 2.54
            dpi = (jfif["x"] * scale, jfif["y"] * scale)
    if not dpi:
        return None
    try:
        x, y = float(dpi[0]), float(dpi[1])
    except (TypeError, ValueError, IndexError):
        return None
    if not (x > 0 and y > 0) or x != x or y != y:
        return None
    return [_round(x), _round(y)]


def _round(value: float) -> float | int:
    value = round(value, 3)
    return int(value) if value.is_integer() else value


def _frames(image: Image.Image | Header | None, fmt: Format, blocks: Blocks) -> int:
    info = blocks.info
    if fmt.name == "gif" and info.get("frames"):
        return info["frames"]
    if fmt.name == "webp":
        return info.get("frames") or 1
    if fmt.name == "png":
        return info.get("apng_frames") or 1
    try:
        return int(getattr(image, "n_frames", 1) or 1)
    except (OSError, ValueError, EOFError, SyntaxError, TypeError):
        return 1


def mime_type(fmt: Format, blocks: Blocks) -> str:
    """The MIME type from the content, as ExifTool says it: an animated PNG is ``image/apng``,
    an HEIF image sequence ``image/heic-sequence`` or ``image/heif-sequence``."""
    if fmt.name == "png" and blocks.info.get("apng_frames"):
        return "image/apng"
    return SEQUENCE_MIME.get(blocks.info.get("brand"), fmt.mime)


def image_info(
    image: Image.Image | Header | None,
    fmt: Format,
    blocks: Blocks,
    *,
    orientation: int | None,
    has_icc: bool,
) -> dict:
    """``metadata.image`` (header facts; see the module docstring for where each comes from).
    Without ``image`` (Pillow could not read the header) what the container says, or ``null``."""
    info = blocks.info
    if image is None:
        width, height = info.get("width"), info.get("height")
    else:
        width, height = image.size
    if fmt.name in ("heic", "heif", "avif") and info.get("width"):
        width, height = info["width"], info["height"]  # ispe: stored size, before irot
    elif fmt.name == "tiff" and hasattr(image, "tag_v2"):
        # stored size (Pillow swaps the two for some oriented TIFFs)
        width = image.tag_v2.get(256, width)
        height = image.tag_v2.get(257, height)
    frames = _frames(image, fmt, blocks)
    dpi = _dpi(image, blocks)
    return {
        "format": fmt.name,
        "width": width,
        "height": height,
        "mode": image.mode if image is not None else None,
        "bitDepth": _bit_depth(image, fmt, blocks),
        "hasColorProfile": has_icc,
        "hasTransparency": _has_transparency(image, fmt, blocks),
        "density": round(dpi[0]) if dpi else None,
        "dpi": dpi,
        "quality": jpeg_quality(info.get("qtables") or {}) if fmt.name == "jpg" else None,
        "orientation": orientation,
        "frames": frames,
        "animated": frames > 1 and fmt.name in ("gif", "webp", "png"),
        "progressive": bool(info.get("progressive")) if fmt.name == "jpg" else False,
    }

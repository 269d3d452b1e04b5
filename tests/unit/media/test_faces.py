"""Face boxes (worker.media.faces): accuracy on the labelled set, the stored frame, no false faces.

The floor: ``bench/faces.py`` measures precision 0.99 and recall 0.97 on the scenes and
photographs together at the default threshold (0.6). The test asks for 0.9 and 0.9: room
for another CPU's arithmetic, while a broken detector (channels swapped, boxes mapped
wrongly, a threshold off by 100) falls far below.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.support import faceset
from worker.media import faces
from worker.media.reduced import reduced_decode

UPRIGHT_TRANSPOSES = faces.UPRIGHT


def _detect(image: Image.Image) -> faces.Faces:
    copy = image.convert("RGB")
    copy.thumbnail((faces.DETECT_SIDE, faces.DETECT_SIDE), Image.Resampling.BOX)
    return faces.detect_faces(copy, *image.size)


def test_precision_and_recall_on_the_labelled_set():
    tally = faceset.Score()
    for item in faceset.scenes() + faceset.photos() + faceset.negatives():
        faceset.score(item, _detect(item.image).boxes, tally)
    assert tally.true >= 100
    assert tally.precision >= 0.9 and tally.recall >= 0.9, tally


@pytest.mark.parametrize(
    "image",
    [
        Image.fromarray(np.random.default_rng(3).integers(0, 256, (480, 640, 3), dtype=np.uint8)),
        Image.new("RGB", (640, 480), (0, 0, 0)),
        Image.new("RGB", (640, 480), (255, 255, 255)),
        Image.new("L", (300, 200), 128),
    ],
    ids=["noise", "black", "white", "grey"],
)
def test_no_face_on_noise_and_plain_images(image):
    assert _detect(image) == faces.Faces([], [])


def _stored(upright: Image.Image, orientation: int) -> Image.Image:
    """The stored frame that EXIF ``orientation`` shows as ``upright`` (Pillow inverts it)."""
    inverse = {
        Image.Transpose.ROTATE_90: Image.Transpose.ROTATE_270,
        Image.Transpose.ROTATE_270: Image.Transpose.ROTATE_90,
    }
    if orientation == 1:
        return upright
    method = UPRIGHT_TRANSPOSES[orientation]
    return upright.transpose(inverse.get(method, method))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_boxes_are_in_the_stored_frame(orientation):
    """Pillow's transpose of a mask drawn on the stored box lands on the upright box."""
    import skimage.data

    upright = Image.fromarray(skimage.data.astronaut()).resize((600, 400))
    expected = _detect(upright).boxes
    stored = _stored(upright, orientation)
    found = faces.detect_faces(stored, *stored.size, orientation)
    assert len(found.boxes) == len(expected) == 1
    x, y, w, h = found.boxes[0]
    mask = Image.new("L", stored.size, 0)
    mask.paste(255, (x, y, x + w, y + h))
    if orientation > 1:
        mask = mask.transpose(UPRIGHT_TRANSPOSES[orientation])
    left, top, right, bottom = mask.getbbox()
    assert np.allclose([left, top, right - left, bottom - top], expected[0], atol=1)


def test_a_twelve_megapixel_jpeg_gives_boxes_in_its_own_pixels():
    import skimage.data

    out = io.BytesIO()
    Image.fromarray(skimage.data.astronaut()).resize((4000, 3000)).save(out, "JPEG", quality=90)
    reduced = reduced_decode(out.getvalue())
    assert reduced.image.size == (640, 480) and (reduced.width, reduced.height) == (4000, 3000)
    found = faces.detect_faces(reduced.image, reduced.width, reduced.height)
    label = faceset.PHOTO_LABELS["skimage:astronaut"][0][0]
    scaled = (label[0] * 4000 / 512, label[1] * 3000 / 512, label[2] * 4000 / 512,
              label[3] * 3000 / 512)  # fmt: skip
    assert len(found.boxes) == 1 and faceset.iou(scaled, found.boxes[0]) >= 0.5
    assert 0.6 <= found.confidences[0] <= 1

"""The reduced decode behind colours, palette, faces and the histogram: a JPEG decodes at
the DCT scale that keeps it under ``approx_pixels`` (the APPROX_PIXELS_MAX setting)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from worker.media.reduced import MAX_SIDE, _draft_size, reduced_decode


@pytest.mark.parametrize(
    ("size", "cap", "scale"),
    [
        ((10_000, 10_000), 4_000_000, 8),  # 100 MP: 1/8 is 1250 px, 1.56 MP
        ((4_000, 3_000), 4_000_000, 4),  # 12 MP: 1/4 still covers 640 px
        ((2_000, 1_500), 4_000_000, 2),  # 1/2 covers 640, 1/4 would not
        ((1_000, 800), 4_000_000, 1),
        ((4_000, 3_000), 200_000, 8),  # the cap wins over covering 640 px
        ((2_000, 1_500), 500_000, 4),
    ],
)
def test_the_strongest_scale_that_covers_the_copy_within_the_cap(size, cap, scale) -> None:
    asked = _draft_size(*size, MAX_SIDE, cap)
    assert asked == (size[0] // scale, size[1] // scale)


def _jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").resize((width, height)).convert("RGB").save(out, "JPEG")
    return out.getvalue()


def test_the_decode_holds_to_the_cap(monkeypatch) -> None:
    from PIL import ImageFile

    decoded = []
    real_load = ImageFile.ImageFile.load

    def spy(image):
        result = real_load(image)
        decoded.append(image.size)
        return result

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    reduced = reduced_decode(_jpeg(4000, 3000), approx_pixels=200_000)
    assert (reduced.width, reduced.height) == (4000, 3000)  # the stored size is reported
    assert set(decoded) == {(500, 375)}  # 1/8: under the cap, though under MAX_SIDE too
    assert reduced.image.size == (500, 375)
    assert max(reduced_decode(_jpeg(4000, 3000)).image.size) == MAX_SIDE


def test_a_large_png_is_reduced_before_its_mode_changes() -> None:
    out = io.BytesIO()
    Image.new("P", (3000, 2000), 3).save(out, "PNG")
    reduced = reduced_decode(out.getvalue())
    assert reduced.image.mode == "RGB" and max(reduced.image.size) == MAX_SIDE

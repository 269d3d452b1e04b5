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
        ((10_000, 10_000), 4_000_000, 8),  # 100 MP: 1/8 is 1.56 MP
        ((6_000, 4_000), 4_000_000, 4),  # 24 MP: 1/2 is 6 MP, 1/4 is 1.5 MP
        ((4_000, 3_000), 4_000_000, 2),  # 12 MP: 1/2 is 3 MP
        ((4_000, 3_000), 20_000_000, 1),  # under the cap: whole
        ((1_000, 1_000), 10, 1),  # a tiny cap never goes below MAX_SIDE on the long side
    ],
)
def test_the_mildest_scale_under_the_cap(size, cap, scale) -> None:
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
    reduced = reduced_decode(_jpeg(4000, 3000), approx_pixels=1_000_000)
    assert (reduced.width, reduced.height) == (4000, 3000)  # the stored size is reported
    assert max(reduced.image.size) == MAX_SIDE
    assert decoded and decoded[-1][0] * decoded[-1][1] <= 1_000_000


def test_a_large_png_is_reduced_before_its_mode_changes() -> None:
    out = io.BytesIO()
    Image.new("P", (3000, 2000), 3).save(out, "PNG")
    reduced = reduced_decode(out.getvalue())
    assert reduced.image.mode == "RGB" and max(reduced.image.size) == MAX_SIDE

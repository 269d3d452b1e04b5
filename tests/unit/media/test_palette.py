"""Cloudinary-shaped colours, the per-channel histogram and page selection (worker.media)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageColor

from common.errors import BadRequest
from tests.conftest import CORPUS
from worker.media import palette
from worker.media.pixels import pixel_facts
from worker.media.reduced import reduced_decode


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# CSS named colours (Pillow's table) that sit plainly in one of Google's 12 bins.
CSS = {
    "red": ["red", "crimson", "firebrick"], "orange": ["orange", "darkorange", "coral"],
    "yellow": ["yellow", "gold", "khaki"], "green": ["green", "lime", "forestgreen"],
    "teal": ["teal", "darkcyan", "turquoise"], "blue": ["blue", "navy", "royalblue", "skyblue"],
    "purple": ["purple", "indigo", "darkviolet", "orchid"],
    "pink": ["pink", "hotpink", "deeppink", "lightpink"],
    "white": ["white", "snow", "whitesmoke"], "gray": ["gray", "silver", "dimgray"],
    "black": ["black", "#101010"], "brown": ["saddlebrown", "sienna", "maroon"],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CSS))
def test_css_colours_get_googles_names(name):
    pixels = np.array([ImageColor.getrgb(css) for css in CSS[name]], dtype=np.uint8)
    got = [palette.GOOGLE_NAMES[i] for i in palette.colour_names(pixels)]
    assert got == [name] * len(pixels), dict(zip(CSS[name], got, strict=True))


def test_shapes_of_colors_and_predominant():
    image = Image.new("RGB", (400, 300), (255, 0, 0))
    image.paste((0, 0, 255), (0, 0, 100, 300))  # a quarter blue
    colours = palette.palette(image)
    assert colours == [["#FF0000", 75.0], ["#0000FF", 25.0]]
    assert palette.predominant(image) == {"google": [["red", 75.0], ["blue", 25.0]]}


def test_transparent_pixels_do_not_count():
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    image.paste((0, 128, 0, 255), (0, 0, 50, 100))
    assert palette.predominant(image) == {"google": [["green", 100.0]]}
    assert palette.histogram(image)["pixels"] == 5000
    assert palette.palette(Image.new("RGBA", (10, 10))) == []


def test_histogram_is_pillows_when_no_reduction_is_needed():
    import skimage.data

    image = Image.fromarray(skimage.data.astronaut())  # 512 px: the reduced copy is itself
    reduced = reduced_decode(_png(image))
    ours = palette.histogram(reduced.image)
    reference = image.histogram()  # Pillow: R, G, B bins one after the other
    assert ours["red"] + ours["green"] + ours["blue"] == reference
    assert ours["pixels"] == 512 * 512


def test_histogram_of_a_reduced_decode_stays_close_to_the_full_one():
    """Largest gap between the cumulative distributions, per channel, on a 12 MP JPEG."""
    import skimage.data

    big = Image.fromarray(skimage.data.coffee()).resize((4000, 3000), Image.Resampling.BICUBIC)
    out = io.BytesIO()
    big.save(out, "JPEG", quality=92)
    full = Image.open(io.BytesIO(out.getvalue())).histogram()
    ours = palette.histogram(reduced_decode(out.getvalue()).image)
    for i, channel in enumerate(("red", "green", "blue")):
        reference = np.cumsum(full[256 * i : 256 * (i + 1)]) / (4000 * 3000)
        cdf = np.cumsum(ours[channel]) / ours["pixels"]
        assert np.abs(cdf - reference).max() < 0.03, channel


def _pages() -> bytes:
    frames = [Image.new("RGB", (60, 40), colour) for colour in ("red", "blue", "white")]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:])
    return out.getvalue()


def test_page_picks_the_page_of_a_multipage_tiff():
    data = _pages()
    for page, name in ((1, "red"), (2, "blue"), (3, "white")):
        facts = pixel_facts(data, page=page)
        assert facts["predominant"]["google"] == [[name, 100.0]]
        assert (facts["page"], facts["pages"]) == (page, 3)
    with pytest.raises(BadRequest):
        pixel_facts(data, page=4)


@pytest.mark.skipif(CORPUS is None, reason="needs the shared corpus")
def test_page_picks_the_image_of_a_heif_collection():
    data = (CORPUS / "exifr/test/fixtures/heic-collection.heic").read_bytes()
    first, third = pixel_facts(data, page=1), pixel_facts(data, page=3)
    assert first["pages"] == third["pages"] == 4
    blue = {name: pct for name, pct in third["predominant"]["google"]}.get("blue", 0)
    assert blue > 20 > {name: pct for name, pct in first["predominant"]["google"]}.get("blue", 0)

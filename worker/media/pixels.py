"""The extract job's facts from a reduced decode of one page: Cloudinary's ``colors`` (as
``palette``) and ``predominant``, and, when asked, ``faces`` and ``histogram``.

One decode (:mod:`.reduced`) serves all of them. ``page`` (1-based) picks the page of a
multi-page TIFF, the image of a HEIF collection or the frame of an animation; the result
says which it read and how many there are (Cloudinary's ``pages``).
"""

from __future__ import annotations

from .decode import DEFAULT_MAX_PIXELS
from .faces import detect_faces
from .palette import histogram as channel_histogram
from .palette import palette, predominant
from .reduced import reduced_decode


def pixel_facts(
    data: bytes,
    *,
    page: int = 1,
    colours: bool = True,
    faces: bool = False,
    histogram: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> dict:
    """The asked-for facts, keyed as they appear in ``metadata``."""
    if not (colours or faces or histogram):
        return {}
    reduced = reduced_decode(data, page=page, max_pixels=max_pixels)
    facts: dict = {"page": reduced.page, "pages": reduced.pages}
    if colours:
        facts["palette"] = palette(reduced.image)
        facts["predominant"] = predominant(reduced.image)
    if faces:
        found = detect_faces(reduced.image, reduced.width, reduced.height, reduced.orientation)
        facts["faces"] = found.boxes
        facts["faceConfidences"] = found.confidences
    if histogram:
        facts["histogram"] = channel_histogram(reduced.image)
    return facts

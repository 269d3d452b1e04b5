"""The extract job's facts from the pixels: ``pHash`` and ``colors``, Cloudinary's ``colors``
(as ``palette``) and ``predominant``, and, when asked, ``faces`` and ``histogram``.

Memory is bounded by design (a 100 MP photo: tens of megabytes, not a gigabyte):

- the exact ``pHash`` (bit for bit imagehash's) reads the grey image band by band
  (:mod:`.banded`: a baseline JPEG is even decoded in bands), never a whole grey copy;
  with ``fast`` it comes from a reduced grey decode instead (as ``hash --fast``);
- everything approximate (``colors``, palette, predominant, faces, histogram) reads one
  reduced decode (:mod:`.reduced`), at most about ``approx_pixels`` for a JPEG.

``page`` (1-based) picks the page of a multi-page TIFF, the image of a HEIF collection or
the frame of an animation for the reduced facts; the result says which it read and how
many there are (Cloudinary's ``pages``). ``pHash`` and ``colors`` always describe the
first frame, as imagehash opens it.
"""

from __future__ import annotations

from PIL import Image

from .banded import grey_resized
from .decode import DEFAULT_APPROX_PIXELS, DEFAULT_MAX_PIXELS, open_image
from .reasons import undecodable
from .reduced import Reduced, reduced_decode

PHASH_SIDE = 32  # imagehash.phash's grey resize: hash_size 8 × highfreq_factor 4


def hash_and_colors(
    data: bytes,
    image: Image.Image | None = None,
    *,
    fast: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    approx_pixels: int = DEFAULT_APPROX_PIXELS,
    reduced: Reduced | None = None,
) -> dict:
    """``{"pHash": ..., "colors": ...}`` of the first frame of ``data`` (``image``: it opened
    and not yet loaded, if at hand; ``reduced``: its first page's reduced decode, if made)."""
    from .extract.colors import predominant_colors
    from .hashes import hash_image, phash

    if fast:
        hashed = hash_image(data, ["phash"], fast=True, max_pixels=max_pixels).hashes["phash"]
    else:
        if image is None:
            image, _ = open_image(data, max_pixels=max_pixels)
        (grey,) = grey_resized(image, data, [(PHASH_SIDE, PHASH_SIDE)])
        hashed = phash(grey)
    if reduced is None:
        reduced = reduced_decode(data, max_pixels=max_pixels, approx_pixels=approx_pixels)
    return {"pHash": hashed, "colors": predominant_colors(reduced.image)}


def pixel_facts(
    data: bytes,
    *,
    page: int = 1,
    colours: bool = True,
    faces: bool = False,
    histogram: bool = False,
    phash: bool = False,
    fast: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    approx_pixels: int = DEFAULT_APPROX_PIXELS,
) -> dict:
    """The asked-for facts, keyed as they appear in ``metadata`` (``phash``: also ``pHash``
    and ``colors``, from the same reduced decode when ``page`` is 1)."""
    if not (colours or faces or histogram or phash):
        return {}
    try:
        return _facts(data, page, colours, faces, histogram, phash, fast, max_pixels, approx_pixels)
    except (OSError, ValueError, SyntaxError) as exc:
        raise undecodable(exc) from None


def _facts(data, page, colours, faces, histogram, phash, fast, max_pixels, approx_pixels) -> dict:
    reduced = reduced_decode(data, page=page, max_pixels=max_pixels, approx_pixels=approx_pixels)
    facts: dict = {}
    if phash:
        first = reduced if page == 1 else None
        facts.update(hash_and_colors(data, fast=fast, max_pixels=max_pixels,
                                     approx_pixels=approx_pixels, reduced=first))  # fmt: skip
    facts.update({"page": reduced.page, "pages": reduced.pages})
    if colours:
        from .palette import palette, predominant

        facts["palette"] = palette(reduced.image)
        facts["predominant"] = predominant(reduced.image)
    if faces:
        from .faces import detect_faces

        found = detect_faces(reduced.image, reduced.width, reduced.height, reduced.orientation)
        facts["faces"] = found.boxes
        facts["faceConfidences"] = found.confidences
    if histogram:
        from .palette import histogram as channel_histogram

        facts["histogram"] = channel_histogram(reduced.image)
    return facts

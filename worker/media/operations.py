"""The runners of the built-in operations (``common.operations``): bytes in, result out.

The worker pipeline and ``exifq ... --local`` call them through the registry;
they do no I/O of their own (``strip_file`` reads and writes the two files it
is given). A result is the JSON body of a completed job without the job fields
(``success``, ``status``, ``uuid``), so the command line prints what the API
answers.
"""

from __future__ import annotations

from pathlib import Path

from common.operations.base import Limits, Outcome, Source
from common.operations.extract import ExtractOptions
from common.operations.hashes import HashOptions
from common.operations.remove import StripOptions


def extract(source: Source, options: ExtractOptions, limits: Limits) -> Outcome:
    from worker.media.extract import extract_metadata
    from worker.media.pixels import pixel_facts

    metadata = extract_metadata(
        source.data,
        source.name,
        pixels=options.pixels,
        max_pixels=limits.max_pixels,
        values=options.values,
    )
    metadata.update(pixel_facts(source.data, colours=options.pixels, faces=options.faces,
                                histogram=options.histogram, page=options.page,
                                max_pixels=limits.max_pixels))  # fmt: skip
    return Outcome({"fileName": source.name, "metadata": metadata})


def strip(source: Source, options: StripOptions, limits: Limits) -> Outcome:
    from worker.media.strip import strip_metadata

    stripped = strip_metadata(source.data, keep=options.kept)
    result = {"fileName": source.name, **stripped.report}
    return Outcome(result, cleaned=stripped.data, cleaned_type=_mime(stripped.report["format"]))


def _mime(format_name: str) -> str | None:
    from worker.media.formats import ALL

    return next((fmt.mime for fmt in ALL if fmt.name == format_name), None)


def strip_file(src: Path, dst: Path, options: StripOptions, limits: Limits) -> dict:
    """File to file: the output appears whole or not at all; the result as :func:`strip`."""
    from worker.media.strip.files import strip_file as strip_to

    return {"fileName": src.name, **strip_to(src, dst, keep=options.kept)}


def hash_(source: Source, options: HashOptions, limits: Limits) -> Outcome:
    """Hashes by type; ``width``/``height`` (the stored size) when a perceptual hash decoded it."""
    from worker.media.hashes import hash_image

    hashed = hash_image(source.data, options.types, fast=options.fast, max_pixels=limits.max_pixels)
    size = {} if hashed.width is None else {"width": hashed.width, "height": hashed.height}
    result = {"fileName": source.name, "hashes": hashed.hashes, **size}
    return Outcome(result, summary=result)

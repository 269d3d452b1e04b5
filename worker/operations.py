"""The three operations as plain functions: image bytes and options in, result out.

Tasks and ``exifq ... --local`` both call these; they do no I/O of their own.
A result is the JSON body of a completed job without the job fields
(``success``, ``status``, ``uuid``), so the CLI prints what the API answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from common.options import ExtractOptions, HashOptions, StripOptions
from worker.media.decode import DEFAULT_MAX_PIXELS


@dataclass(frozen=True)
class Outcome:
    result: dict
    cleaned: bytes | None = None  # the metadata-free file (strip only)


def run_extract(
    data: bytes, name: str, options: ExtractOptions, *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> Outcome:
    from worker.media.extract import extract_metadata

    metadata = extract_metadata(
        data, name, pixels=options.pixels, max_pixels=max_pixels, values=options.values
    )
    return Outcome({"fileName": name, "metadata": metadata})


def run_strip(data: bytes, name: str, options: StripOptions) -> Outcome:
    from worker.media.strip import strip_metadata

    stripped = strip_metadata(data, keep=options.keep)
    return Outcome({"fileName": name, **stripped.report}, cleaned=stripped.data)


def run_hash(
    data: bytes, name: str, options: HashOptions, *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> Outcome:
    """Hashes by type; ``width``/``height`` (the stored size) when a perceptual hash decoded it."""
    from worker.media.hashes import hash_image

    hashed = hash_image(data, options.types, fast=options.fast, max_pixels=max_pixels)
    size = {} if hashed.width is None else {"width": hashed.width, "height": hashed.height}
    return Outcome({"fileName": name, "hashes": hashed.hashes, **size})

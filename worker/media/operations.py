"""The runners of the built-in operations (``common.operations``): bytes in, result out.

The worker pipeline and ``exifq ... --local`` call them through the registry;
they do no I/O of their own (``strip_file`` reads and writes the two files it
is given). A result is the JSON body of a completed job without the job fields
(``success``, ``status``, ``uuid``), so the command line prints what the API
answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from common.errors import CorruptImage
from common.operations.base import Limits, Outcome, Source

if TYPE_CHECKING:
    from common.operations.extract import ExtractOptions
    from common.operations.hashes import HashOptions
    from common.operations.remove import StripOptions


def extract(source: Source, options: ExtractOptions, limits: Limits) -> Outcome:
    if _video(source):
        from worker.media.video import VideoLimits, extract_video

        with _as_file(source) as path:
            video_limits = VideoLimits(max_pixels=limits.max_pixels)
            metadata = extract_video(path, source.name, limits=video_limits, values=options.values)
        return Outcome({"fileName": source.name, "metadata": metadata})
    from worker.media.extract import extract_metadata

    metadata = extract_metadata(
        source.data, source.name, pixels=False, max_pixels=limits.max_pixels, values=options.values
    )
    if options.pixels or options.faces or options.histogram:  # NumPy only when pixels are read
        from worker.media.pixels import pixel_facts

        try:
            metadata.update(pixel_facts(source.data, phash=options.pixels, colours=options.pixels,
                                        faces=options.faces, histogram=options.histogram,
                                        page=options.page, fast=options.fast,
                                        max_pixels=limits.max_pixels,
                                        approx_pixels=limits.approx_pixels))  # fmt: skip
        except CorruptImage as exc:  # undecodable pixels: the metadata stands, facts absent
            if metadata["image"]["mode"] is not None:  # extract_metadata has not said so
                metadata["warnings"].append(exc.message)
    return Outcome({"fileName": source.name, "metadata": metadata})


def strip(source: Source, options: StripOptions, limits: Limits) -> Outcome:
    if _video(source):
        return _strip_video(source, limits)
    from worker.media.strip import strip_metadata

    stripped = strip_metadata(source.data, keep=options.kept)
    result = {"fileName": source.name, **stripped.report}
    return Outcome(result, cleaned=stripped.data, cleaned_type=_mime(stripped.report["format"]))


def _mime(format_name: str) -> str | None:
    from worker.media.formats import ALL, VIDEOS

    return next((fmt.mime for fmt in ALL + VIDEOS if fmt.name == format_name), None)


def _video(source: Source) -> bool:
    """A video runs from a file (``source.path``; bytes from ``--local`` go to one). The format
    the API sniffed travels with the job (``source.format``); only ``--local`` sniffs here."""
    from worker.media.formats import ALL, sniff

    if source.path is not None:
        return True
    if source.format is not None:
        return source.format not in {fmt.name for fmt in ALL}
    fmt = sniff(source.data[:64])
    return fmt is not None and fmt.kind == "video"


@contextmanager
def _as_file(source: Source) -> Iterator[Path]:
    if source.path is not None:
        yield source.path
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="exifq-") as folder:
        path = Path(folder) / "input"
        path.write_bytes(source.data)
        yield path


def _strip_video(source: Source, limits: Limits) -> Outcome:
    """The cleaned video beside the input (the job's scratch folder), or as bytes when the
    input came as bytes."""
    from worker.media.video import VideoLimits, strip_video

    video_limits = VideoLimits(max_pixels=limits.max_pixels)
    if source.path is not None:
        cleaned = source.path.with_name(f"cleaned-{source.path.name}")
        report = strip_video(source.path, cleaned, limits=video_limits)
        result = {"fileName": source.name, **report}
        return Outcome(result, cleaned_path=cleaned, cleaned_type=_mime(report["format"]))
    with _as_file(source) as path:
        cleaned = path.with_name("cleaned")
        report = strip_video(path, cleaned, limits=video_limits)
        data = cleaned.read_bytes()
    result = {"fileName": source.name, **report}
    return Outcome(result, cleaned=data, cleaned_type=_mime(report["format"]))


def strip_file(src: Path, dst: Path, options: StripOptions, limits: Limits) -> dict:
    """File to file: the output appears whole or not at all; the result as :func:`strip`."""
    from worker.media.formats import sniff

    with open(src, "rb") as head:
        fmt = sniff(head.read(64))
    if fmt is not None and fmt.kind == "video":
        from worker.media.video import VideoLimits, strip_video

        video_limits = VideoLimits(max_pixels=limits.max_pixels)
        return {"fileName": src.name, **strip_video(src, dst, limits=video_limits)}
    from worker.media.strip.files import strip_file as strip_to

    return {"fileName": src.name, **strip_to(src, dst, keep=options.kept)}


def hash_(source: Source, options: HashOptions, limits: Limits) -> Outcome:
    """Hashes by type; ``width``/``height`` (the stored size) when a perceptual hash decoded it."""
    from worker.media.hashes import hash_image

    hashed = hash_image(source.data, options.types, fast=options.fast, max_pixels=limits.max_pixels)
    size = {} if hashed.width is None else {"width": hashed.width, "height": hashed.height}
    result = {"fileName": source.name, "hashes": hashed.hashes, **size}
    return Outcome(result, summary=result)

"""Video metadata: a file in, the ``metadata`` object of an Extract result out.

:func:`extract_video` sniffs the container from the first bytes, hashes the file
(``file``), walks the container's metadata with ExifTool's tables
(:mod:`.quicktime`, :mod:`.matroska`, :mod:`.riff`: ``container`` keyed by ExifTool's
family-1 groups, XMP in ``xmp``), refuses what declares too much (:mod:`.limits`), then
asks FFmpeg for the stream facts (:mod:`.streams`) and derives ``video``, ``gps`` and
``datetimeOriginal`` (:mod:`.summary`). The file is read in pieces, never whole.
"""

from __future__ import annotations

import hashlib
import os
import struct
from concurrent.futures import Future, ThreadPoolExecutor
from typing import NamedTuple

from common.errors import CorruptFile, ExifqError, UnsupportedFormat
from worker.media.extract import exiftool_funcs  # noqa: F401 - registers the helpers
from worker.media.formats import Format, require_format
from worker.media.reasons import reason

from .limits import VideoLimits, check_declared, check_streams
from .matroska import MatroskaReader
from .quicktime import QuickTimeReader
from .riff import RiffReader
from .streams import probe
from .summary import datetime_original, gps, video_fields
from .tagstore import VideoTagStore

CHUNK = 1 << 20
THREAD_FROM = 16 << 20  # hash on a second thread above this size (below, a thread costs more)
DEFAULT_LIMITS = VideoLimits()
_CONTAINERS = {"webm": "Matroska", "mkv": "Matroska", "avi": "RIFF"}
_PARSE_ERRORS = (struct.error, IndexError, ValueError, OverflowError, RecursionError)


def sniff_video(path: str | os.PathLike[str]) -> Format:
    """The video format of the file at ``path``; ``UnsupportedFormat`` for anything else."""
    with open(path, "rb") as file:
        return require_format(file.read(64), ("video",))


def extract_video(
    path: str | os.PathLike[str],
    name: str,
    *,
    limits: VideoLimits = DEFAULT_LIMITS,
    values: str = "raw",
) -> dict:
    """The ``metadata`` object for the video at ``path`` (reported as ``name``).

    ``values="printed"`` gives ``container`` and ``xmp`` as ``exiftool`` without ``-n``
    prints them (the derived fields always use the ``-n`` values), as for photos.
    Raises ``UnsupportedFormat`` (not a video we read), ``CorruptFile`` (truncated or
    malformed beyond use), ``DecompressionBomb`` (declares more than ``limits``).
    """
    path = os.fspath(path)
    fmt = sniff_video(path)
    size = os.path.getsize(path)
    printed = values == "printed"
    with ThreadPoolExecutor(max_workers=1) if size > THREAD_FROM else _Inline() as pool:
        digests = pool.submit(file_digests, path)  # (hashlib releases the GIL)
        read = read_container(path, fmt, size, limits, printed=printed)
        facts = probe(path, fmt.name, max_pixels=limits.max_pixels, timeout=limits.timeout)
        check_streams(facts, limits)
        md5, sha256 = digests.result()
    groups = read.groups
    xmp, xmp_warnings = _read_xmp(read.xmp)
    container = _CONTAINERS.get(fmt.name, "QuickTime")
    return {
        "file": {"name": name, "size": size, "mimeType": fmt.mime, "md5": md5, "sha256": sha256},
        "video": video_fields(facts, groups, fmt.name, container, read.video_group),
        "container": read.printed if printed else groups,
        "xmp": _read_xmp(read.xmp, printed=True)[0] if printed else xmp,
        "gps": gps(groups, xmp),
        "datetimeOriginal": datetime_original(groups, xmp),
        "warnings": read.warnings + xmp_warnings,
    }


def _read_xmp(packets: list[bytes], printed: bool = False) -> tuple[dict, list[str]]:
    if not packets:
        return {}, []
    from worker.media.extract.xmp import read_xmp  # (its tables load only when needed)

    return read_xmp(packets, printed=printed)


class Container(NamedTuple):
    """What :func:`read_container` found."""

    groups: dict[str, dict]  # tags by family-1 group, -n values
    printed: dict[str, dict] | None  # the same printed (when asked for)
    xmp: list[bytes]  # XMP packets
    warnings: list[str]
    video_group: str | None  # the first video track's group ("Track1")


def read_container(
    path: str, fmt: Format, size: int, limits: VideoLimits, *, printed: bool = False
) -> Container:
    """The container's tags by group (also printed, if asked), XMP packets, warnings and
    video-track group."""
    store = VideoTagStore()
    reader: QuickTimeReader | MatroskaReader | RiffReader
    if fmt.name in ("webm", "mkv"):
        reader = MatroskaReader(store, max_elements=limits.max_boxes, max_depth=limits.max_depth)
    elif fmt.name == "avi":
        reader = RiffReader(store, max_chunks=limits.max_boxes)
    else:
        reader = QuickTimeReader(
            store, max_header=limits.max_header_bytes, max_boxes=limits.max_boxes
        )
    try:
        with open(path, "rb") as file:
            reader.read_file(file, size)
    except ExifqError:
        raise
    except _PARSE_ERRORS as exc:
        raise CorruptFile(f"malformed {fmt.name} container: {reason(exc)}") from None
    groups = store.groups()
    check_declared(groups, limits, getattr(reader, "samples", 0))
    warnings = list(store.warnings)
    if reader.truncated:
        warnings.append("container structure is truncated")
    return Container(
        groups,
        store.groups(printed=True) if printed else None,
        getattr(reader, "xmp", []),
        warnings,
        getattr(reader, "video_group", None),
    )


class _Inline:
    """A stand-in for the executor that runs the call at once (small files)."""

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn, *args) -> Future:
        future: Future = Future()
        future.set_result(fn(*args))
        return future


def file_digests(path: str) -> tuple[str, str]:
    """MD5 and SHA-256 of the file, read in :data:`CHUNK` pieces."""
    md5, sha256 = hashlib.md5(), hashlib.sha256()
    with open(path, "rb", buffering=0) as file:
        buffer = bytearray(CHUNK)
        view = memoryview(buffer)
        while n := file.readinto(buffer):
            md5.update(view[:n])
            sha256.update(view[:n])
    return md5.hexdigest(), sha256.hexdigest()


__all__ = ["UnsupportedFormat", "extract_video", "sniff_video"]

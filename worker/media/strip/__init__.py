"""Lossless metadata removal: one container module per format, chosen from the file's magic bytes.

Each module (``png``, ``webp``, ``gif``, ``tiff``, ``heif``, ``bmp``) has
``strip(data, keep, report) -> bytes``; ``jpeg`` has ``pieces``, the same as
views of the input's scans and the few bytes rewritten. Each walks the
container, copies what decoding needs byte for byte, leaves out what identifies a person
or a camera and records that in the report. Nothing is decoded or re-encoded.
The output is built in memory and returned whole, or an error is raised:
there is never a half-written file. What they share: ``report`` (the
report), ``ifd`` (writing TIFF directories), ``exif`` (reading EXIF, writing the
minimal block ``keep`` asks for), ``xmp`` and ``iptc`` (the other sources of
orientation and credits) and ``sources`` (reading those in precedence order).
The containers themselves are walked by the strict readers of
:mod:`worker.media.containers` (JPEG segments, PNG chunks, RIFF chunks, GIF
blocks, ISO BMFF boxes and item tables, TIFF pages and their strips or tiles,
BMP headers, Photoshop resources), the same ones extract reads with.
``files`` strips file to file (``strip_file``) with the same output, without
building it in memory.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from mmap import mmap
from types import MappingProxyType

from common.errors import BadRequest, CorruptImage
from common.operations.remove import DEFAULT_KEEP, STRIP_GROUPS
from worker.media.formats import require_format
from worker.media.reasons import reason

from . import bmp, gif, heif, jpeg, png, tiff, webp
from .report import Report

__all__ = ["DEFAULT_KEEP", "StripResult", "strip_metadata"]

Stripper = Callable[[bytes, frozenset[str], Report], bytes]

# Every format but JPEG (``jpeg.pieces``, see :func:`strip_pieces`).
STRIPPERS: MappingProxyType[str, Stripper] = MappingProxyType(
    {
        "png": png.strip,
        "webp": webp.strip,
        "gif": gif.strip,
        "tiff": tiff.strip,
        "heic": heif.strip,
        "heif": heif.strip,
        "avif": heif.strip,
        "bmp": bmp.strip,
    }
)

# What a malformed structure that slipped past a container's own checks raises.
_PARSE_ERRORS = (struct.error, IndexError, ValueError, OverflowError)


@dataclass(frozen=True)
class StripResult:
    """The cleaned file and the report of what was removed (JSON-serialisable)."""

    data: bytes
    report: dict


def strip_metadata(data: bytes, *, keep: frozenset[str] = DEFAULT_KEEP) -> StripResult:
    """Remove the metadata of ``data`` without touching its pixels; keep the groups in ``keep``.

    ``keep`` is the final set of groups kept (a subset of ``icc``,
    ``orientation``, ``copyright``). Raises ``UnsupportedFormat`` for bytes
    that are no image we handle and ``CorruptImage`` for a malformed one.
    """
    keep = checked_keep(keep)
    data = bytes(data)
    report, pieces = strip_pieces(data, keep)
    cleaned = b"".join(pieces)
    return StripResult(cleaned, report.to_dict(len(data), len(cleaned)))


def strip_pieces(
    data: bytes | mmap, keep: frozenset[str]
) -> tuple[Report, list[bytes | memoryview]]:
    """The report and the cleaned file as consecutive pieces: for a JPEG views of ``data``
    (its scans) and the bytes rewritten, else one ``bytes``. ``keep`` as ``checked_keep``
    gives it; raises as :func:`strip_metadata`."""
    fmt = require_format(data)
    report = Report(fmt.name)
    with parse_errors(fmt.name):
        if fmt.name == "jpg":
            return report, jpeg.pieces(data, keep, report)
        return report, [STRIPPERS[fmt.name](bytes(data), keep, report)]


def checked_keep(keep: frozenset[str]) -> frozenset[str]:
    """``keep`` as a frozenset; ``BadRequest`` for a group that does not exist."""
    unknown = set(keep) - set(STRIP_GROUPS)
    if unknown:
        raise BadRequest(f"unknown keep group: {', '.join(sorted(unknown))}")
    return frozenset(keep)


@contextmanager
def parse_errors(format_name: str) -> Iterator[None]:
    """Turn a malformed structure that slipped past a container's own checks into
    ``CorruptImage``."""
    try:
        yield
    except _PARSE_ERRORS as exc:
        raise CorruptImage(f"malformed {format_name} file: {reason(exc)}") from None

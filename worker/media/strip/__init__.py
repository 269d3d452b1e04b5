"""Lossless metadata removal: one container module per format, chosen from the file's magic bytes.

Each module (``jpeg``, ``png``, ``webp``, ``gif``, ``tiff``, ``heif``,
``bmp``) has ``strip(data, keep, report) -> bytes``: it walks the container,
copies what decoding needs byte for byte, leaves out what identifies a person
or a camera and records that in the report. Nothing is decoded or re-encoded.
The output is built in memory and returned whole, or an error is raised:
there is never a half-written file. What they share: ``report`` (the
report), ``ifd`` (TIFF directories), ``exif`` (reading EXIF, writing the
minimal block ``keep`` asks for), ``xmp`` and ``iptc`` (the other sources of
orientation and credits), ``sources`` (reading those in precedence order) and
``bmff`` (ISO BMFF boxes and item locations, for HEIF).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

from common.errors import BadRequest, CorruptImage
from common.options import DEFAULT_KEEP, STRIP_GROUPS
from worker.media.formats import require_format

from . import bmp, gif, heif, jpeg, png, tiff, webp
from .report import Report

__all__ = ["DEFAULT_KEEP", "StripResult", "strip_metadata"]

Stripper = Callable[[bytes, frozenset[str], Report], bytes]

STRIPPERS: MappingProxyType[str, Stripper] = MappingProxyType(
    {
        "jpg": jpeg.strip,
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
    unknown = set(keep) - set(STRIP_GROUPS)
    if unknown:
        raise BadRequest(f"unknown keep group: {', '.join(sorted(unknown))}")
    data = bytes(data)
    fmt = require_format(data)
    report = Report(fmt.name)
    try:
        cleaned = STRIPPERS[fmt.name](data, frozenset(keep), report)
    except _PARSE_ERRORS as exc:
        raise CorruptImage(f"malformed {fmt.name} file: {exc}") from None
    return StripResult(cleaned, report.to_dict(len(data), len(cleaned)))

"""Lossless video strip, file to file: :func:`strip_video`.

Each container has its own planner (:mod:`.strip_qt` for QuickTime/MP4, which removes
boxes and moves the chunk offsets; :mod:`.strip_mkv` and :mod:`.strip_avi`, which
overwrite metadata in place with the format's own filler, ``Void`` and ``JUNK``). A plan
is a list of ranges of the input and new bytes, written by :mod:`.output` through a
temporary file: the media data is copied by the kernel and never held in memory.
"""

from __future__ import annotations

import os
import struct

from common.errors import CorruptFile, ExifqError
from worker.media.reasons import reason
from worker.media.strip.report import Report

from . import strip_avi, strip_mkv, strip_qt
from .extract import DEFAULT_LIMITS, sniff_video
from .limits import VideoLimits
from .output import planned_size, write_plan

_PARSE_ERRORS = (struct.error, IndexError, ValueError, OverflowError)


def strip_video(
    src_path: str | os.PathLike[str],
    dst_path: str | os.PathLike[str],
    *,
    limits: VideoLimits = DEFAULT_LIMITS,
) -> dict:
    """Write ``src_path`` without its metadata to ``dst_path``; return the report.

    The report is the image strip's (``format``, ``removed``, ``removedGroups``,
    ``kept``, ``bytesBefore``, ``bytesAfter``) plus ``zeroedTimes``: per box type
    (``mvhd``, ``tkhd``, ``mdhd``), how many held a creation or modification time that is
    now zero. Raises ``UnsupportedFormat``, ``CorruptFile``, ``DecompressionBomb`` or
    ``OSError``; then ``dst_path`` is left as it was.
    """
    src, dst = os.fspath(src_path), os.fspath(dst_path)
    fmt = sniff_video(src)
    report = Report(fmt.name)
    zeroed: dict[str, int] = {}
    with open(src, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        try:
            if fmt.name in ("webm", "mkv"):
                pieces = strip_mkv.plan(file, size, report, limits)
            elif fmt.name == "avi":
                pieces = strip_avi.plan(file, size, report, limits)
            else:
                pieces, zeroed = strip_qt.plan(file, size, report, limits)
        except ExifqError:
            raise
        except _PARSE_ERRORS as exc:
            raise CorruptFile(f"malformed {fmt.name} file: {reason(exc)}") from None
        expected = planned_size(pieces)
        written = write_plan(file, dst, pieces)
    if written != expected:
        raise CorruptFile("the file changed while it was being stripped")
    result = report.to_dict(size, written)
    result["zeroedTimes"] = zeroed
    return result

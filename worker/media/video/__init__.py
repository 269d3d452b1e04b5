"""Videos: metadata under ExifTool's names plus FFmpeg's stream facts, and lossless strip.

* :func:`extract_video` (:mod:`.extract`) - the ``metadata`` of an MP4/MOV/M4V/3GP,
  WebM/MKV or AVI file: ``file``, ``video`` (duration, bit rate, size, frame rate,
  rotation, codecs), ``container`` (the container's tags by ExifTool family-1 group:
  ``QuickTime``, ``Track1``, ``UserData``, ``Keys``, ``ItemList``, ``Matroska``,
  ``RIFF``...), ``xmp``, ``gps`` and ``datetimeOriginal``.
* :func:`strip_video` (:mod:`.strip`) - the file rewritten without its metadata, every
  stream's packets byte for byte the same, file to file through a temporary file.

Both read the file in pieces (videos are large) and bound what a file may make them do
(:class:`~.limits.VideoLimits`). ``docs/video.md`` says what is read and removed, and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .extract import extract_video, sniff_video
from .limits import VideoLimits

if TYPE_CHECKING:
    from .strip import strip_video

__all__ = ["VideoLimits", "extract_video", "sniff_video", "strip_video"]


def __getattr__(name: str) -> object:
    """``strip_video`` is imported on first use (it needs numpy, which extraction does not)."""
    if name == "strip_video":
        from .strip import strip_video

        return strip_video
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

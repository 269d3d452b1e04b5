"""What a video may declare before it is refused as a bomb, and the checks on the walk's tags.

A small file can declare a 100 000 x 100 000 frame, a duration of centuries or a billion
samples, and a demuxer or decoder that believes it allocates accordingly. These limits
are checked on what the container walk read (before FFmpeg sees the file) and raise
``DecompressionBomb``. The defaults are far above any camera's output (an 8K frame is
33 M pixels; a day at 60 fps is 5.2 M samples).
"""

from __future__ import annotations

from dataclasses import dataclass

from common.errors import DecompressionBomb

from ..decode import DEFAULT_MAX_PIXELS


@dataclass(frozen=True)
class VideoLimits:
    """Bounds on what a video may declare and on the work its walk may take."""

    max_pixels: int = DEFAULT_MAX_PIXELS  # per frame (the image limit: MAX_IMAGE_PIXELS)
    max_seconds: float = 7 * 24 * 3600.0  # declared duration
    max_samples: int = 100_000_000  # sample-table entries (stsz/stz2 counts + stts sums)
    max_header_bytes: int = 64 << 20  # the moov box read whole (ExifTool skips > 32 MB)
    max_boxes: int = 20_000  # boxes, EBML elements or RIFF chunks walked (header data)
    max_depth: int = 32  # EBML master elements nested
    timeout: float = 20.0  # seconds for FFmpeg to open the file and find its streams


# (width, height) tag pairs of ExifTool's QuickTime, Matroska and RIFF tables
_SIZES = (("ImageWidth", "ImageHeight"), ("SourceImageWidth", "SourceImageHeight"))
_DURATIONS = ("Duration", "TrackDuration", "MediaDuration")


def check_declared(groups: dict[str, dict], limits: VideoLimits, samples: int = 0) -> None:
    """Raise ``DecompressionBomb`` when the container declares more than ``limits`` allow."""
    for tags in groups.values():
        for width_tag, height_tag in _SIZES:
            width, height = tags.get(width_tag), tags.get(height_tag)
            if _number(width) and _number(height) and width * height > limits.max_pixels:
                raise DecompressionBomb(
                    f"declared frame {width}x{height} is beyond {limits.max_pixels} pixels"
                )
        for name in _DURATIONS:
            seconds = tags.get(name)
            if _number(seconds) and seconds > limits.max_seconds:
                raise DecompressionBomb(f"declared duration {seconds} s is beyond the limit")
    if samples > limits.max_samples:
        raise DecompressionBomb(f"{samples} declared samples are beyond {limits.max_samples}")


def check_streams(facts: dict, limits: VideoLimits) -> None:
    """The same limits on what FFmpeg found (a codec header may declare another size)."""
    seconds = facts.get("duration")
    if seconds is not None and seconds > limits.max_seconds:
        raise DecompressionBomb(f"duration {seconds} s is beyond the limit")
    for stream in facts.get("streams", []):
        width, height = stream.get("width") or 0, stream.get("height") or 0
        if width * height > limits.max_pixels:
            raise DecompressionBomb(f"frame {width}x{height} is beyond {limits.max_pixels} pixels")


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)

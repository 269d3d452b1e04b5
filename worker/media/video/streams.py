"""Stream facts (codecs, size, frame rate, duration, bit rate) from FFmpeg's demuxers via PyAV.

Why PyAV (``docs/video.md`` has the measurements): it is FFmpeg's libavformat in-process,
the very code ``ffprobe`` runs, so codec names (``h264``, ``aac``, ``vp9``...), the
container duration and bit rate and ``avg_frame_rate`` mean what they mean to ffprobe,
without a process per file (spawning ``ffprobe`` costs ~100 ms, more than reading the
metadata) and with its own FFmpeg inside the wheel (no system package to match).

FFmpeg reads untrusted bytes here, so it is fenced in: the demuxer is the one our own
sniffing chose (``format=``, and ``format_whitelist``), only the ``file`` protocol is
allowed (a file can name no URL, playlist or other file; ``enable_drefs`` stays off),
probing reads at most :data:`PROBE_BYTES` and analyses at most one second, decoders run
on one thread and refuse frames over ``max_pixels`` (``max_pixels``), and an interrupt
callback stops opening after ``timeout`` seconds. Our own container walk has already
checked the structure and the declared sizes before FFmpeg sees the file.
"""

from __future__ import annotations

from fractions import Fraction

from common.errors import CorruptFile
from worker.media.reasons import reason

PROBE_BYTES = 1 << 20
# our format name -> FFmpeg demuxer
DEMUXERS = {
    "mp4": "mov",
    "mov": "mov",
    "m4v": "mov",
    "3gp": "mov",
    "3g2": "mov",
    "webm": "matroska",
    "mkv": "matroska",
    "avi": "avi",
}


def probe(path: str, format_name: str, *, max_pixels: int, timeout: float = 10.0) -> dict:
    """The stream facts of the file at ``path`` (sniffed as ``format_name``).

    Returns ``{"duration", "bitRate", "streams": [...]}``; raises ``CorruptFile`` when
    FFmpeg cannot open it.
    """
    import av  # (imported on first use: loading FFmpeg's libraries costs ~50 ms)

    demuxer = DEMUXERS[format_name]
    options = {
        "threads": "1",
        "probesize": str(PROBE_BYTES),
        "analyzeduration": "1000000",
        "fpsprobesize": "0",
        "max_pixels": str(max_pixels),
        "protocol_whitelist": "file",
        "format_whitelist": demuxer,
        "enable_drefs": "0",
    }
    try:
        with av.open(path, format=demuxer, options=options, timeout=timeout) as container:
            return _facts(container)
    except (av.FFmpegError, ValueError, OverflowError) as exc:
        raise CorruptFile(f"cannot read the {format_name} streams: {reason(exc)}") from None


def _facts(container) -> dict:
    streams = [_stream(stream) for stream in container.streams]
    duration = container.duration
    return {
        "duration": round(duration / 1_000_000, 6) if duration else None,
        "bitRate": container.bit_rate or None,
        "streams": [s for s in streams if s is not None],
    }


def _stream(stream) -> dict | None:
    context = stream.codec_context
    out: dict = {
        "index": stream.index,
        "type": stream.type,
        "codec": context.codec.canonical_name if context is not None else None,
    }
    if stream.duration is not None and stream.time_base:
        out["duration"] = round(float(stream.duration * stream.time_base), 6)
    if context is None:
        return out
    out["profile"] = context.profile
    out["bitRate"] = context.bit_rate or None
    if stream.type == "video":
        out["width"] = context.width or None
        out["height"] = context.height or None
        out["frameRate"] = _rate(stream.average_rate) or _rate(stream.guessed_rate)
        out["frames"] = stream.frames or None
    elif stream.type == "audio":
        out["channels"] = context.channels or None
        out["sampleRate"] = context.sample_rate or None
    language = stream.language
    if language:
        out["language"] = language
    return out


def _rate(rate: Fraction | None) -> float | None:
    if not rate:
        return None
    return round(float(rate), 6)

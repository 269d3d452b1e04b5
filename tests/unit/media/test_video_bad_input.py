"""Bad videos: truncated, corrupted, bombs. Each ends as one of our error codes (or, for a
tolerable defect, a result with warnings) within bounded time and memory; never a crash.

Bombs declare what a demuxer or decoder would allocate for: a 65535x65535 frame (in the
track header, the sample description, a Matroska track, an AVI header), a duration of
136 years, four billion samples, 300 000 boxes, EBML nested 5 000 deep.
"""

from __future__ import annotations

import random
import struct
import time
import tracemalloc
from pathlib import Path

import pytest

from common.errors import CorruptFile, DecompressionBomb, ExifqError, UnsupportedFormat
from worker.media.video import VideoLimits, extract_video, strip_video

SECONDS = 10.0  # per call (a shared, loaded machine; typically well under 1 s)
PYTHON_MEMORY = 64 << 20  # peak Python allocations per call


def _bounded(call, *args):
    """Run ``call``; return the result or the ExifqError; assert time and memory bounds."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        return call(*args)
    except ExifqError as exc:
        return exc
    finally:
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert elapsed < SECONDS, f"{call.__name__} took {elapsed:.1f} s"
        assert peak < PYTHON_MEMORY, f"{call.__name__} peaked at {peak >> 20} MiB"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _patch(data: bytes, marker: bytes, offset: int, fmt: str, *values: int) -> bytes:
    """``data`` with ``values`` packed at ``offset`` bytes after the first ``marker``."""
    at = data.index(marker) + offset
    patched = bytearray(data)
    struct.pack_into(fmt, patched, at, *values)
    return bytes(patched)


def _both(tmp_path: Path, name: str, data: bytes) -> tuple[object, object]:
    path = _write(tmp_path, name, data)
    return _bounded(extract_video, path, name), _bounded(
        strip_video, path, tmp_path / f"out-{name}"
    )


@pytest.mark.parametrize("name", ["phone.mov", "camera.mp4", "tagged.webm", "clip.avi"])
@pytest.mark.parametrize("fraction", [0.0005, 0.002, 0.01, 0.3, 0.6, 0.97])
def test_truncated(videos, tmp_path, name, fraction):
    data = videos[name].read_bytes()
    cut = data[: max(8, int(len(data) * fraction))]
    extracted, stripped = _both(tmp_path, name, cut)
    for outcome in (extracted, stripped):
        assert isinstance(outcome, (dict, CorruptFile, UnsupportedFormat)), outcome
    if isinstance(extracted, dict):
        assert extracted["warnings"], "a truncated file is reported as such"


@pytest.mark.parametrize("name", ["phone.mov", "camera.mp4", "fragmented.mp4", "tagged.webm"])
def test_corrupted_bytes(videos, tmp_path, name):
    """Bytes flipped in the headers (the first and last 4 kB): an answer or our error."""
    data = videos[name].read_bytes()
    rng = random.Random(name)
    for round_ in range(25):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            at = rng.choice([rng.randrange(0, 4096), len(data) - 1 - rng.randrange(0, 4096)])
            mutated[at] = rng.randrange(256)
        for outcome in _both(tmp_path, f"{round_}-{name}", bytes(mutated)):
            assert isinstance(outcome, (dict, ExifqError)), outcome


def test_not_a_video(tmp_path):
    for data in (b"", b"RIFF\0\0\0\0WAVEfmt ", b"\x00\x00\x00\x18ftypM4A \0\0\0\0", b"%PDF-1.7"):
        for outcome in _both(tmp_path, "x.mp4", data):
            assert isinstance(outcome, UnsupportedFormat)


def test_declared_frame_bombs(videos, tmp_path):
    mov = videos["camera.mp4"].read_bytes()
    tkhd = _patch(mov, b"tkhd", 4 + 76, ">II", 0xFFFF0000, 0xFFFF0000)
    stsd = _patch(mov, b"stsd", 4 + 8 + 8 + 24, ">HH", 0xFFFF, 0xFFFF)  # (avc1 width, height)
    avi = _patch(videos["clip.avi"].read_bytes(), b"avih", 8 + 32, "<II", 100_000, 100_000)
    for name, data in (("tkhd.mp4", tkhd), ("stsd.mp4", stsd), ("x.avi", avi)):
        extracted = _bounded(extract_video, _write(tmp_path, name, data), name)
        assert isinstance(extracted, DecompressionBomb), (name, extracted)
    # (a Matroska PixelWidth cannot grow in place: the limit comes down to the 160x120 frame)
    small = VideoLimits(max_pixels=160 * 120 - 1)
    with pytest.raises(DecompressionBomb, match="declared frame 160x120"):
        extract_video(videos["tagged.webm"], "tagged.webm", limits=small)


def test_declared_duration_and_sample_bombs(videos, tmp_path):
    mov = videos["camera.mp4"].read_bytes()
    duration = _patch(mov, b"mvhd", 4 + 12, ">II", 1, 0xFFFFFFFF)  # 136 years at 1 unit/s
    samples = _patch(mov, b"stsz", 4 + 8, ">I", 0xFFFFFFF0)
    for name, data in (("duration.mp4", duration), ("samples.mp4", samples)):
        extracted = _bounded(extract_video, _write(tmp_path, name, data), name)
        assert isinstance(extracted, DecompressionBomb), (name, extracted)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", len(payload) + 8, kind) + payload


def test_box_count_bomb(videos, tmp_path):
    """300 000 empty boxes in a udta: the walk stops at its budget; strip drops udta whole."""
    mov = videos["camera.mp4"].read_bytes()
    at = mov.index(b"moov") - 4
    size = struct.unpack_from(">I", mov, at)[0]
    udta = _box(b"udta", struct.pack(">I4s", 8, b"\xa9cmt") * 300_000)
    moov = _box(b"moov", mov[at + 8 : at + size] + udta)
    data = mov[:at] + moov + mov[at + size :]
    path = _write(tmp_path, "boxes.mov", data)
    assert isinstance(_bounded(extract_video, path, "boxes.mov"), DecompressionBomb)
    # (moov grew before mdat: the strip must move the chunk offsets back)
    report = _bounded(strip_video, path, tmp_path / "out.mov")
    assert isinstance(report, dict) and report["bytesAfter"] < len(mov)


def test_absurd_box_sizes(videos, tmp_path):
    mov = videos["phone.mov"].read_bytes()
    at = mov.index(b"moov") - 4
    huge_moov = mov[:at] + struct.pack(">I", 0x7FFFFFFF) + mov[at + 4 :]
    large = mov[:at] + struct.pack(">I4sQ", 1, b"moov", 1 << 62) + mov[at + 8 :]
    for name, data in (("huge.mov", huge_moov), ("large.mov", large)):
        extracted, stripped = _both(tmp_path, name, data)
        assert isinstance(stripped, CorruptFile), (name, stripped)
        if isinstance(extracted, dict):  # (FFmpeg may still read what is there)
            assert "container structure is truncated" in extracted["warnings"]
        else:
            assert isinstance(extracted, (CorruptFile, DecompressionBomb)), (name, extracted)


def test_deeply_nested_ebml(tmp_path):
    header = bytes.fromhex("1a45dfa3 8f 4282 88") + b"matroska" + bytes.fromhex("4287 81 04")
    depth = 5000
    nested = bytearray()
    for level in range(depth):  # SimpleTag (0x67C8) in SimpleTag ..., 8-byte sizes
        inner = 10 * (depth - level - 1)
        nested += b"\x67\xc8\x01" + inner.to_bytes(7, "big")
    tags = b"\x12\x54\xc3\x67\x01" + len(nested).to_bytes(7, "big") + nested
    segment = b"\x18\x53\x80\x67\x01" + len(tags).to_bytes(7, "big") + tags
    path = _write(tmp_path, "deep.mkv", header + segment)
    assert isinstance(_bounded(extract_video, path, "deep.mkv"), DecompressionBomb)
    stripped = _bounded(strip_video, path, tmp_path / "out.mkv")  # (Tags voided whole)
    assert isinstance(stripped, dict) and stripped["removedGroups"] == ["tags"]
    unknown = header + b"\x18\x53\x80\x67\xff" + (b"\x67\xc8\xff" * depth)
    for outcome in _both(tmp_path, "unknown.mkv", unknown):
        assert isinstance(outcome, (CorruptFile, DecompressionBomb)), outcome

"""Lossless video strip, checked with the reference tools on the videos the tests build.

After :func:`strip_video`, ExifTool (``-a -u``, every tag it can find) sees no make,
model, software, GPS, title/artist/comment, XMP, or date other than zero; PyAV demuxes
every stream's packets (bytes, pts, dts) exactly as from the original; ffprobe reads
the same duration; stripping again changes nothing.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess

import pytest

from common.errors import CorruptFile
from tests.conftest import exiftool
from tests.support.videos import ffprobe, packet_hashes
from worker.media.video import strip_video

NAMES = (
    "phone.mov", "camera.mp4", "fragmented.mp4", "timecode.mov", "clip.3gp",
    "tagged.webm", "tagged.mkv", "clip.avi",
)  # fmt: skip
# ExifTool tag names that identify a person, a device or a place (any group)
LEAKS = re.compile(
    r"(Make|Model|Software|SoftwareVersion|Encoder|CompressorName|GPS\w*|Location\w*|Title|"
    r"Artist|Comment|Author|Creator\w*|CreationDate|DateTimeOriginal|MuxingApp|WritingApp|"
    r"TrackName|TimeCode|Attach\w*)$"
)


@pytest.fixture(scope="module")
def stripped(videos, tmp_path_factory) -> dict[str, tuple[dict, object]]:
    folder = tmp_path_factory.mktemp("stripped")
    out = {}
    for name in NAMES:
        target = folder / name
        out[name] = (strip_video(videos[name], target), target)
    return out


@pytest.fixture(scope="module")
def after(stripped) -> dict[str, dict]:
    rows = exiftool("-G1", "-a", "-u", "-n", *(path for _, path in stripped.values()))
    return {name: row for name, row in zip(NAMES, rows, strict=True)}


@pytest.mark.parametrize("name", NAMES)
def test_exiftool_finds_no_metadata(after, name):
    row = after[name]
    leaks = {}
    for key, value in row.items():
        group, _, tag = key.rpartition(":")
        if group in ("System", "ExifTool", "File", "Composite", ""):
            continue
        if group.startswith("XMP") or LEAKS.match(tag):
            if tag in ("MuxingApp", "WritingApp") and value == "":
                continue  # (mandatory in Matroska: kept, empty)
            leaks[key] = value
        elif "Date" in tag and value not in (0, "0000:00:00 00:00:00"):
            leaks[key] = value
    assert leaks == {}


@pytest.mark.parametrize("name", NAMES)
def test_packets_unchanged(videos, stripped, name):
    report, target = stripped[name]
    before, now = packet_hashes(videos[name]), packet_hashes(target)
    kept = {key: digest for key, digest in before.items() if key[0] in ("video", "audio")}
    assert kept and {key: now.get(key) for key in kept} == kept
    assert float(ffprobe(target)["format"]["duration"]) == pytest.approx(
        float(ffprobe(videos[name])["format"]["duration"]), abs=1e-3
    )
    assert report["bytesAfter"] == target.stat().st_size
    assert report["bytesBefore"] == videos[name].stat().st_size


@pytest.mark.parametrize("name", NAMES)
def test_stripping_again_changes_nothing(stripped, tmp_path, name):
    _, target = stripped[name]
    again = strip_video(target, tmp_path / name)
    assert (tmp_path / name).read_bytes() == target.read_bytes()
    assert again["removed"] == [] and again["zeroedTimes"] == {}


def test_phone_report(stripped):
    report, _ = stripped["phone.mov"]
    assert {"gps", "xmp", "userData", "itemList", "time", "software"} <= set(
        report["removedGroups"]
    )
    assert report["zeroedTimes"] == {"mvhd": 1, "tkhd": 2, "mdhd": 2, "compressorName": 1}
    assert report["bytesAfter"] < report["bytesBefore"]


def test_moov_first_shrinks_and_moves_the_chunk_offsets(videos, stripped):
    """camera.mp4 has moov before mdat (faststart): removing udta moves every sample."""
    data = videos["camera.mp4"].read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")
    report, _ = stripped["camera.mp4"]
    assert report["bytesAfter"] < report["bytesBefore"]
    # (test_packets_unchanged demuxes it through the moved stco offsets)


def test_timecode_track_removed_and_zeroed(videos, stripped):
    report, target = stripped["timecode.mov"]
    assert "timecode" in report["removedGroups"]
    zeroed = [r for r in report["removed"] if r["type"].startswith("samples of removed")]
    assert zeroed and zeroed[0]["size"] == 4  # one tmcd sample: the start frame number

    def timecodes(path):
        return {s.get("tags", {}).get("timecode") for s in ffprobe(path)["streams"]} - {None}

    assert timecodes(videos["timecode.mov"]) == {"10:11:12:00"}
    assert timecodes(target) == set()
    assert [s["codec_type"] for s in ffprobe(target)["streams"]] == ["video", "audio"]


def test_matroska_and_avi_keep_their_size(stripped):
    for name in ("tagged.webm", "tagged.mkv", "clip.avi"):
        report, _ = stripped[name]
        assert report["bytesAfter"] == report["bytesBefore"]
        assert report["removed"]
    assert "attachments" in stripped["tagged.mkv"][0]["removedGroups"]
    assert {"tags", "title", "time", "gps"} <= set(stripped["tagged.webm"][0]["removedGroups"])


def test_in_place_and_failure_leaves_destination(videos, tmp_path):
    copy = tmp_path / "copy.mp4"
    shutil.copy(videos["camera.mp4"], copy)
    report = strip_video(copy, copy)
    assert copy.stat().st_size == report["bytesAfter"] < report["bytesBefore"]
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(videos["camera.mp4"].read_bytes()[:2000])
    target = tmp_path / "target.mp4"
    target.write_bytes(b"old contents")
    with pytest.raises(CorruptFile):
        strip_video(broken, target)
    assert target.read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.mp4", "copy.mp4", "target.mp4"]


def test_ffmpeg_decodes_the_stripped_files(stripped):
    for name, (_, target) in stripped.items():
        proc = subprocess.run(
            ["ffmpeg", "-v", "error", "-i", str(target), "-f", "null", "-"],
            capture_output=True,
            check=False,
        )
        assert proc.returncode == 0 and not proc.stderr.strip(), (name, proc.stderr[-500:])


def _with_co64(data: bytes) -> bytes:
    """A moov-first MP4 rewritten with 64-bit chunk offsets (``co64`` instead of ``stco``):
    moov grows by 4 bytes per chunk, so every offset moves by the total growth."""
    from worker.media.video.boxes import children

    view = memoryview(data)
    top = children(view, 0, len(view))
    moov = next(b for b in top if b.type == b"moov")
    growth = 0

    def count(start: int, end: int) -> None:
        nonlocal growth
        for box in children(view, start, end):
            if box.type in (b"trak", b"mdia", b"minf", b"stbl"):
                count(box.payload, box.end)
            elif box.type == b"stco":
                growth += 4 * struct.unpack_from(">I", view, box.payload + 4)[0]

    def rebuild(start: int, end: int) -> bytes:
        out = b""
        for box in children(view, start, end):
            if box.type in (b"trak", b"mdia", b"minf", b"stbl"):
                inner = rebuild(box.payload, box.end)
                out += struct.pack(">I4s", len(inner) + 8, box.type) + inner
            elif box.type == b"stco":
                n = struct.unpack_from(">I", view, box.payload + 4)[0]
                offsets = struct.unpack_from(f">{n}I", view, box.payload + 8)
                body = bytes(view[box.payload : box.payload + 4]) + struct.pack(">I", n)
                body += struct.pack(f">{n}Q", *(o + growth for o in offsets))
                out += struct.pack(">I4s", len(body) + 8, b"co64") + body
            else:
                out += bytes(view[box.start : box.end])
        return out

    count(moov.payload, moov.end)
    inner = rebuild(moov.payload, moov.end)
    new_moov = struct.pack(">I4s", len(inner) + 8, b"moov") + inner
    return data[: moov.start] + new_moov + data[moov.end :]


def test_co64_offsets_move_too(videos, tmp_path):
    source = tmp_path / "co64.mp4"
    source.write_bytes(_with_co64(videos["camera.mp4"].read_bytes()))
    assert b"co64" in source.read_bytes() and b"stco" not in source.read_bytes()
    assert packet_hashes(source) == packet_hashes(videos["camera.mp4"])  # (a valid file)
    report = strip_video(source, tmp_path / "out.mp4")
    assert report["bytesAfter"] < report["bytesBefore"]
    assert packet_hashes(tmp_path / "out.mp4") == packet_hashes(videos["camera.mp4"])

"""Video metadata against the reference tools, on videos the tests build (tests/support/videos.py).

* The container's tags against ExifTool (``exiftool -j -G0:1 -n``, one process for all
  files), per ExifTool version (Debian's and the newest, as for the image corpus: each
  version's own tables against that same version's output): every QuickTime, Matroska
  and RIFF tag ExifTool reports is looked up in
  ``metadata.container[<family-1 group>][<name>]`` and XMP in ``metadata.xmp``; at least
  95 % must agree per family (``tests/support/exiftool_reference.values_equal``).
* The same with ``values="printed"`` against ExifTool without ``-n``.
* The stream facts against ffprobe (Debian's ffmpeg): duration within one frame, codec
  names, coded size, average frame rate, audio channels and sample rate.
* The derived fields against what ExifTool computes (Composite Rotation, GPS) and what
  the tests wrote (dates), ``file`` against hashlib.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections import defaultdict
from fractions import Fraction

import pytest

from common.errors import UnsupportedFormat
from tests.support.exiftool_reference import values_equal
from tests.support.exiftools import ExifToolVersion
from tests.support.videos import ffprobe
from worker.media.extract import tables
from worker.media.formats import require_format, sniff
from worker.media.video import extract_video

FAMILIES = ("QuickTime", "Matroska", "RIFF", "XMP")
FORMATS = {
    "phone.mov": ("mov", "video/quicktime"),
    "camera.mp4": ("mp4", "video/mp4"),
    "fragmented.mp4": ("mp4", "video/mp4"),
    "timecode.mov": ("mov", "video/quicktime"),
    "clip.3gp": ("3gp", "video/3gpp"),
    "tagged.webm": ("webm", "video/webm"),
    "tagged.mkv": ("mkv", "video/x-matroska"),
    "clip.avi": ("avi", "video/x-msvideo"),
}


@pytest.fixture(scope="module")
def extracted(videos, version_tables: tables.TableSet) -> dict[str, dict]:
    """Every video's metadata, read with the tables of the module's ExifTool version."""
    return {name: extract_video(path, name) for name, path in videos.items()}


def _exiftool(videos, version: ExifToolVersion, *options: str) -> dict[str, dict]:
    """That ExifTool version's reading of every video (``-j -G0:1 OPTIONS``), in one process."""
    proc = subprocess.run(
        ["perl", str(version.program), "-j", "-G0:1", *options, *map(str, videos.values())],
        capture_output=True,
        check=True,
    )
    rows = json.loads(proc.stdout)
    by_path = {row["SourceFile"]: row for row in rows}
    return {name: by_path[str(path)] for name, path in videos.items()}


@pytest.fixture(scope="module")
def reference(videos, exiftool_version: ExifToolVersion) -> dict[str, dict]:
    return _exiftool(videos, exiftool_version, "-n")


def _ours(metadata: dict, family0: str, family1: str, name: str) -> object:
    if family0 == "XMP":
        return metadata["xmp"].get(f"{family1.removeprefix('XMP-')}:{name}")
    return metadata["container"].get(family1, {}).get(name)


def _assert_agreement(extracted: dict[str, dict], reference: dict[str, dict]) -> None:
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses = []
    for name, row in reference.items():
        for key, expected in row.items():
            parts = key.split(":")
            if len(parts) < 2:
                continue
            family0, family1, tag = (parts[0], parts[0], parts[1]) if len(parts) == 2 else parts
            if key in ("File:FileType", "File:FileTypeExtension", "File:MIMEType"):
                continue  # (the file type: metadata.file.mimeType, checked below)
            if family0 == "File" and family1 == "File" and name == "clip.avi":
                family0 = "RIFF"  # (the AVI's bitmap header: ExifTool's BMP table, group File)
            elif family0 not in FAMILIES:
                continue
            ours = _ours(extracted[name], family0, family1, tag)
            agree = ours is not None and values_equal(expected, ours)
            tally[family0][0] += agree
            tally[family0][1] += 1
            if not agree:
                misses.append((name, key, expected, ours))
    assert set(tally) == set(FAMILIES), tally
    for family, (good, total) in tally.items():
        assert good / total >= 0.95, (family, good, total, misses[:20])
    assert tally["QuickTime"][1] > 400 and tally["Matroska"][1] > 80  # (a real sample)


def test_container_tags_agree_with_exiftool(extracted, reference):
    _assert_agreement(extracted, reference)


def test_printed_values_agree_with_exiftool(videos, version_tables, exiftool_version, reference):
    """``values="printed"``: the container's tags as ``exiftool`` without ``-n`` prints them;
    the derived fields stay the ``-n`` ones."""
    printed = {name: extract_video(path, name, values="printed") for name, path in videos.items()}
    _assert_agreement(printed, _exiftool(videos, exiftool_version))
    phone = printed["phone.mov"]
    assert phone["container"]["Keys"]["GPSCoordinates"].startswith("33 deg 51' 24.48\" S")
    assert phone["gps"]["latitude"] == reference["phone.mov"]["Composite:GPSLatitude"]


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_stream_facts_agree_with_ffprobe(videos, extracted, name):
    probe = ffprobe(videos[name])
    video = extracted[name]["video"]
    stream = next(s for s in probe["streams"] if s["codec_type"] == "video")
    audio = next(s for s in probe["streams"] if s["codec_type"] == "audio")
    rate = Fraction(stream["avg_frame_rate"])
    assert abs(video["duration"] - float(probe["format"]["duration"])) <= 1 / rate + 1e-6
    assert (video["videoCodec"], video["audioCodec"]) == (stream["codec_name"], audio["codec_name"])
    assert (video["width"], video["height"]) == (stream["width"], stream["height"])
    assert video["frameRate"] == pytest.approx(float(rate), rel=1e-3)
    assert video["audioChannels"] == audio["channels"]
    assert video["sampleRate"] == int(audio["sample_rate"])
    assert video["bitRate"] == pytest.approx(int(probe["format"]["bit_rate"]), rel=0.02)
    assert video["format"] == FORMATS[name][0]


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_file_facts(videos, extracted, name):
    data = videos[name].read_bytes()
    assert extracted[name]["file"] == {
        "name": name,
        "size": len(data),
        "mimeType": FORMATS[name][1],
        "md5": hashlib.md5(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    assert sniff(data[:64]).name == FORMATS[name][0]
    assert require_format(data[:64], ("video",)).kind == "video"
    with pytest.raises(UnsupportedFormat):
        require_format(data[:64])  # (image operations still refuse videos)


def test_phone_video_summary(extracted, reference):
    phone, row = extracted["phone.mov"], reference["phone.mov"]
    assert phone["video"]["rotation"] == row["Composite:Rotation"] == 90
    assert phone["gps"] == {
        "latitude": row["Composite:GPSLatitude"],
        "longitude": row["Composite:GPSLongitude"],
        "altitude": row["Composite:GPSAltitude"],
    }
    assert phone["datetimeOriginal"] == "2024-01-02T03:04:05+01:00"  # Keys:CreationDate
    assert phone["container"]["Keys"]["Model"] == "iPhone 14 Pro"
    assert phone["xmp"]["dc:Title"] == "Opera House"


def test_other_summaries(extracted):
    camera = extracted["camera.mp4"]
    assert camera["gps"] == {"latitude": 48.8584, "longitude": 2.2945, "altitude": 35}
    assert camera["datetimeOriginal"] == "2021-06-07T10:11:12Z"  # mvhd: UTC
    assert camera["video"]["rotation"] == 0
    webm = extracted["tagged.webm"]
    assert webm["gps"] == {"latitude": 48.8584, "longitude": 2.2945}  # the LOCATION tag
    assert webm["datetimeOriginal"] == "2021-06-07"  # DATE_RECORDED
    assert webm["container"]["Track1"]["TrackName"] == "Back camera"
    assert extracted["clip.avi"]["container"]["RIFF"]["Title"] == "Holiday"
    assert extracted["timecode.mov"]["container"]["Track3"]["HandlerType"] == "tmcd"

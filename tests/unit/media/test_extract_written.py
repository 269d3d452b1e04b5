"""Files that ExifTool itself writes metadata into: we must read back what it wrote.

Each test generates a small image with Pillow in ``tmp_path``, has ExifTool write
GPS, IPTC, XMP, a comment and EXIF dates into it, then checks (1) the values we
know were written, in our own output shape, and (2) every EXIF/IPTC/XMP tag
ExifTool reads back from that file, with the corpus comparison's rules.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import exiftool
from tests.support.exiftool_reference import Tally
from worker.media.decode import _configure_pillow
from worker.media.extract import extract_metadata

WRITE = [
    "-GPSLatitude=55.6201",
    "-GPSLatitudeRef=N",
    "-GPSLongitude=37.6629",
    "-GPSLongitudeRef=W",
    "-GPSAltitude=151.5",
    "-GPSAltitudeRef=0",
    "-IPTC:Keywords=alpha",
    "-IPTC:Keywords=beta",
    "-IPTC:City=Zürich",
    "-XMP-dc:Title=Written by ExifTool",
    "-XMP-dc:Creator=Ada",
    "-XMP-dc:Subject=one",
    "-XMP-dc:Subject=two",
    "-XMP-xmp:Rating=4",
    "-Comment=hello comment",
    "-DateTimeOriginal=2021:06:01 10:20:30",
    "-SubSecTimeOriginal=25",
    "-OffsetTimeOriginal=+02:00",
    "-Make=TestMake",
    "-Model=TestModel",
    "-ExposureTime=1/250",
    "-FNumber=5.6",
]
# what each format can carry (ExifTool writes no EXIF/IPTC into GIF, no IPTC into WebP/HEIC)
CARRIES = {
    "jpg": {"exif", "iptc", "xmp", "comment"},
    "png": {"exif", "iptc", "xmp", "comment"},
    "tif": {"exif", "iptc", "xmp"},
    "webp": {"exif", "xmp"},
    "gif": {"xmp", "comment"},
    "heic": {"exif", "xmp"},
}


def _write(tmp_path: Path, ext: str) -> Path:
    path = tmp_path / f"written.{ext}"
    Image.new("RGB", (64, 48), (200, 30, 40)).save(path)
    proc = subprocess.run(
        ["exiftool", "-q", "-q", "-overwrite_original", *WRITE, str(path)],
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return path


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict, dict]]:
    _configure_pillow()  # registers the HEIF encoder Pillow needs to write .heic
    out = {}
    base = tmp_path_factory.mktemp("written")
    for ext in CARRIES:
        path = _write(base, ext)
        reference = exiftool("-G1", "-n", "-struct", path)[0]
        out[ext] = (path, reference, extract_metadata(path.read_bytes(), path.name, pixels=False))
    return out


@pytest.mark.parametrize("ext", sorted(CARRIES))
def test_written_values_are_read_back(written: dict, ext: str) -> None:
    _, _, meta = written[ext]
    carries = CARRIES[ext]
    json.dumps(meta, allow_nan=False)
    if "exif" in carries:
        assert meta["gps"] == {"latitude": 55.6201, "longitude": -37.6629, "altitude": 151.5}
        assert meta["datetimeOriginal"] == "2021-06-01T10:20:30.25+02:00"
        assert meta["exif"]["image"]["Make"] == "TestMake"
        assert meta["exif"]["exif"]["ExposureTime"] == 0.004
        assert meta["exif"]["exif"]["FNumber"] == 5.6
    if "iptc" in carries:
        assert meta["iptc"]["Keywords"] == ["alpha", "beta"]
        assert meta["iptc"]["City"] == "Zürich"
    if "xmp" in carries:
        assert meta["xmp"]["dc:Title"] == "Written by ExifTool"
        assert meta["xmp"]["dc:Creator"] == ["Ada"]
        assert meta["xmp"]["dc:Subject"] == ["one", "two"]
        assert meta["xmp"]["xmp:Rating"] == 4
    if "comment" in carries:
        assert "hello comment" in meta["comments"]


@pytest.mark.parametrize("ext", sorted(CARRIES))
def test_written_files_agree_with_exiftool(written: dict, ext: str) -> None:
    path, reference, meta = written[ext]
    tally = Tally()
    tally.add(path.name, reference, meta, set())
    assert tally.classes, "ExifTool should have read metadata back"
    for label, (good, total) in tally.classes.items():
        assert good == total, (label, tally.misses[label])

"""``exifq strip --local``: the command writes the cleaned file and prints the report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, corpus_path
from tests.unit.media.test_strip import exiftool_batch, leaks

PHOTO = "exif-samples/jpg/hdr/canon_hdr_YES.jpg"  # EXIF, GPS, maker notes, IPTC, XMP, Orientation 6


def exifq(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "exifq", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


def test_strip_local_writes_the_clean_file_and_prints_the_report(tmp_path):
    out = tmp_path / "clean.jpg"
    proc = exifq("strip", "--local", corpus_path(PHOTO), "-o", out)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["success"] is True and report["fileName"] == "canon_hdr_YES.jpg"
    assert report["output"] == str(out)
    assert {"exif", "gps", "makerNotes", "iptc", "xmp"} <= set(report["removedGroups"])
    assert report["kept"] == ["orientation"]
    assert report["bytesAfter"] == out.stat().st_size < report["bytesBefore"]
    tags = exiftool_batch([out])[str(out)]
    assert leaks(tags, frozenset({"icc", "orientation"})) == []
    assert tags["IFD0:Orientation"] == "Rotate 90 CW"


def test_keep_and_drop_options_reach_the_stripper(tmp_path):
    photo, out = corpus_path("exiftool/t/images/MWG.jpg"), tmp_path / "clean.jpg"
    proc = exifq("strip", "--local", photo, "-o", out, "--keep", "copyright,orientation")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["kept"] == ["copyright", "orientation"]
    assert "IFD0:Copyright" in exiftool_batch([out])[str(out)]
    proc = exifq("strip", "--local", photo, "-o", out, "--drop", "orientation")
    assert json.loads(proc.stdout)["kept"] == []
    assert "IFD0:Orientation" not in exiftool_batch([out])[str(out)]


def test_several_files_print_json_lines_and_a_bad_one_fails_alone(tmp_path):
    inputs, outputs = tmp_path / "in", tmp_path / "out"
    inputs.mkdir(), outputs.mkdir()
    mislabelled = inputs / "really-a-png.jpg"
    mislabelled.write_bytes((corpus_path("exiftool/t/images/PNG.png")).read_bytes())
    truncated = inputs / "truncated.jpg"
    truncated.write_bytes((corpus_path(PHOTO)).read_bytes()[:5000])
    proc = exifq("strip", "--local", mislabelled, truncated, "-o", outputs)
    assert proc.returncode == 1
    first, second = (json.loads(line) for line in proc.stdout.splitlines())
    assert first["success"] is True and first["format"] == "png"
    assert (outputs / "really-a-png.jpg").read_bytes().startswith(b"\x89PNG")
    assert second["success"] is False and second["error"]["code"] == "corrupt_image"
    assert not (outputs / "truncated.jpg").exists()


def test_unknown_keep_group_is_refused():
    proc = exifq("strip", "--local", corpus_path(PHOTO), "--keep", "gps")
    assert proc.returncode == 2 and "unknown keep: gps" in proc.stderr


def test_strip_local_loads_no_settings_and_no_service_modules(tmp_path):
    out = tmp_path / "clean.jpg"
    code = (
        "import sys; from exifq.cli import main; "
        f"status = main(['strip', '--local', {str(corpus_path(PHOTO))!r}, '-o', {str(out)!r}]); "
        "loaded = {'pydantic', 'common.settings', 'flask', 'celery', 'numpy', 'PIL'} "
        "& set(sys.modules); "
        "print(sorted(loaded), file=sys.stderr); sys.exit(status or bool(loaded))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["bytesAfter"] == out.stat().st_size


def test_strip_local_onto_its_own_input_cleans_it_in_place(tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes((corpus_path(PHOTO)).read_bytes())
    proc = exifq("strip", "--local", photo, "-o", photo)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["bytesAfter"] == photo.stat().st_size
    assert leaks(exiftool_batch([photo])[str(photo)], frozenset({"icc", "orientation"})) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.jpg"]

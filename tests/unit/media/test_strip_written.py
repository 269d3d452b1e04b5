"""Strip files that ExifTool loaded with every kind of metadata, one per container.

The images come from Pillow (and pillow-heif); ExifTool then writes, in one
process over all of them: the EXIF and Nikon maker notes of a corpus photo,
GPS, IPTC, XMP, a comment, an ICC profile, Orientation 6 and Artist/Copyright
(each format takes what it can hold). After stripping, ExifTool must find
only what ``keep`` kept — with the input's values — and Pillow the same pixels.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import corpus_path
from tests.unit.media.test_strip import KEEPS, assert_same_pixels, exiftool_batch, leaks
from worker.media.decode import _configure_pillow
from worker.media.strip import strip_metadata

FORMATS = ("jpg", "png", "webp", "tif", "gif", "heic")
EXIF_CAPABLE = {"jpg", "png", "webp", "tif"}  # formats whose stripped file may carry EXIF tags
ICC_CAPABLE = {"jpg", "png", "webp", "tif", "gif"}
MAKER_NOTES_SOURCE = "exif-samples/jpg/Nikon_COOLPIX_P1.jpg"
ICC_SOURCE = "exif-samples/jpg/Canon_40D.jpg"
TAGS = [
    "-GPSLatitude=55.62", "-GPSLatitudeRef=N", "-GPSLongitude=37.66", "-GPSLongitudeRef=E",
    "-IPTC:By-line=Iptc Author", "-IPTC:CopyrightNotice=Iptc Notice", "-IPTC:Keywords=secret",
    "-XMP-dc:Creator=Xmp Author", "-XMP-dc:Rights=Xmp Rights", "-XMP-dc:Description=private",
    "-Comment=a private comment", "-EXIF:Artist=Jane Roe", "-EXIF:Copyright=(c) Jane Roe",
    "-EXIF:Orientation#=6", "-EXIF:SerialNumber=123456",
]  # fmt: skip


def _base_image() -> Image.Image:
    ramp = np.linspace(0, 255, 64)
    pixels = np.stack(
        [np.tile(ramp, (48, 1)), np.tile(ramp[::-1], (48, 1)), np.full((48, 64), 128)], axis=-1
    )
    return Image.fromarray(pixels.astype("uint8"))


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    """One file per format, loaded with metadata by a single ExifTool process."""
    _configure_pillow()
    folder = tmp_path_factory.mktemp("written")
    image = _base_image()
    paths = {fmt: folder / f"loaded.{fmt}" for fmt in FORMATS}
    image.save(paths["jpg"], quality=90)
    image.save(paths["png"])
    image.save(paths["webp"], lossless=True)
    image.save(paths["tif"], compression="tiff_lzw")
    image.convert("P").save(paths["gif"])
    image.save(paths["heic"], quality=90)
    icc = folder / "profile.icc"
    icc.write_bytes(
        subprocess.run(
            ["exiftool", "-b", "-ICC_Profile", str(corpus_path(ICC_SOURCE))],
            capture_output=True,
            check=True,
        ).stdout
    )
    copy_camera = [
        "-tagsfromfile",
        str(corpus_path(MAKER_NOTES_SOURCE)),
        "-exif:all",
        "-makernotes",
    ]
    files = map(str, paths.values())
    command = ["exiftool", "-q", "-q", "-m", "-overwrite_original", *copy_camera, *TAGS, *files]
    subprocess.run([*command, f"-ICC_Profile<={icc}"], check=True)
    return paths


@pytest.fixture(scope="module")
def readings(written, tmp_path_factory) -> dict[tuple[str, str], dict]:
    """ExifTool's tags of each input (keep ``"input"``) and each stripped output, by (fmt, keep)."""
    folder = tmp_path_factory.mktemp("written-stripped")
    paths = {(fmt, "input"): path for fmt, path in written.items()}
    for fmt, path in written.items():
        for keep_name, keep in KEEPS.items():
            out = folder / f"{keep_name}.{fmt}"
            out.write_bytes(strip_metadata(path.read_bytes(), keep=keep).data)
            paths[(fmt, keep_name)] = out
    rows = exiftool_batch(list(paths.values()))
    return {key: rows[str(path)] for key, path in paths.items()}


def _groups(tags: dict) -> set[str]:
    return {key.partition(":")[0] for key in tags}


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_inputs_really_carry_the_metadata(fmt, readings):
    groups = _groups(readings[(fmt, "input")])
    assert {"XMP-dc"} <= groups
    if fmt != "gif":
        assert {"IFD0", "ExifIFD", "GPS", "Nikon"} <= groups
    if fmt in ("jpg", "png", "tif"):
        assert "IPTC" in groups
    if fmt in ICC_CAPABLE:
        assert "ICC_Profile" in groups


@pytest.mark.parametrize("keep_name", KEEPS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_nothing_identifying_survives(fmt, keep_name, readings):
    tags = readings[(fmt, keep_name)]
    assert leaks(tags, KEEPS[keep_name]) == []
    assert not {"ExifIFD", "GPS", "IFD1", "Nikon", "IPTC", "XMP-dc", "XMP-x"} & _groups(tags)


@pytest.mark.parametrize("keep_name", KEEPS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_keep_carries_the_input_values(fmt, keep_name, readings):
    before, after = readings[(fmt, "input")], readings[(fmt, keep_name)]
    keep = KEEPS[keep_name]
    exif = fmt in EXIF_CAPABLE
    if exif and "orientation" in keep:
        assert after["IFD0:Orientation"] == before["IFD0:Orientation"] == "Rotate 90 CW"
    else:
        assert "IFD0:Orientation" not in after
    if exif and "copyright" in keep:
        assert after["IFD0:Artist"] == "Jane Roe"
        assert after["IFD0:Copyright"] == "(c) Jane Roe"
    else:
        assert "IFD0:Artist" not in after and "IFD0:Copyright" not in after
    has_icc = any(key.startswith("ICC_Profile:") for key in after)
    assert has_icc == (fmt in ICC_CAPABLE and "icc" in keep)


@pytest.mark.parametrize("fmt", FORMATS)
def test_pixels_are_unchanged(fmt, written):
    data = written[fmt].read_bytes()
    for keep in KEEPS.values():
        if fmt == "tif" and "orientation" not in keep:
            continue  # Pillow's TIFF reader applies Orientation itself
        assert_same_pixels(data, strip_metadata(data, keep=keep).data)


@pytest.mark.parametrize("fmt", FORMATS)
def test_report_names_the_groups_removed(fmt, written):
    report = strip_metadata(written[fmt].read_bytes()).report
    expected = {"xmp"} | ({"exif", "gps", "makerNotes"} if fmt != "gif" else {"comment"})
    assert expected <= set(report["removedGroups"])
    if fmt in ("jpg", "png", "tif"):
        assert "iptc" in report["removedGroups"]
    assert report["bytesAfter"] < report["bytesBefore"]


@pytest.mark.parametrize(
    ("tags", "artist", "copyright"),
    [
        (["-XMP-dc:Creator=Xmp Author", "-XMP-dc:Rights=Xmp Rights"], "Xmp Author", "Xmp Rights"),
        (
            ["-IPTC:By-line=Iptc Author", "-IPTC:CopyrightNotice=Iptc Notice"],
            "Iptc Author",
            "Iptc Notice",
        ),
        (
            [
                "-EXIF:Copyright=Exif Notice",
                "-XMP-dc:Creator=Xmp Author",
                "-XMP-dc:Rights=Xmp Rights",
            ],
            "Xmp Author",
            "Exif Notice",
        ),
    ],
    ids=["xmp", "iptc", "exif-first"],
)
def test_copyright_from_xmp_or_iptc_moves_into_exif(tmp_path, tags, artist, copyright):
    """keep=copyright: Artist/Copyright come from EXIF, else XMP dc:creator/dc:rights, else IPTC."""
    path = tmp_path / "credits.jpg"
    _base_image().save(path, quality=90)
    subprocess.run(["exiftool", "-q", "-overwrite_original", *tags, str(path)], check=True)
    out = tmp_path / "out.jpg"
    out.write_bytes(strip_metadata(path.read_bytes(), keep=frozenset({"copyright"})).data)
    tags_after = exiftool_batch([out])[str(out)]
    assert tags_after["IFD0:Artist"] == artist
    assert tags_after["IFD0:Copyright"] == copyright
    assert leaks(tags_after, frozenset({"copyright"})) == []


def test_png_text_credits_move_into_exif(tmp_path):
    path = tmp_path / "credits.png"
    _base_image().save(path)
    credits = ["-PNG:Author=Png Author", "-PNG:Copyright=Png Copyright", "-PNG:Software=secret"]
    subprocess.run(["exiftool", "-q", "-overwrite_original", *credits, str(path)], check=True)
    out = tmp_path / "out.png"
    out.write_bytes(strip_metadata(path.read_bytes(), keep=frozenset({"copyright"})).data)
    tags = exiftool_batch([out])[str(out)]
    assert (tags["IFD0:Artist"], tags["IFD0:Copyright"]) == ("Png Author", "Png Copyright")
    assert "PNG:Software" not in tags and "PNG:Author" not in tags

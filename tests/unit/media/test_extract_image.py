"""``metadata.image``, ``icc``, ``colors``, ``pHash`` and the derived fields, checked against
known answers: Pillow-written files whose settings we chose, and ExifTool's reading of the
corpus for what ExifTool reports too (ICC header, frames, progressive, orientation)."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import imagehash
import pytest
from PIL import Image

from tests.conftest import REPO, corpus_files, corpus_params
from worker.media.extract import extract_metadata
from worker.media.extract.summary import iso_datetime


def _save(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


@pytest.mark.parametrize("quality", [1, 5, 23, 50, 75, 90, 95, 100])
@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_jpeg_quality_is_estimated_from_the_quantization_tables(quality: int, mode: str) -> None:
    """Pillow writes libjpeg's standard tables scaled for ``quality``; ImageMagick's
    estimate recovers the exact setting for them (one and two table variants)."""
    data = _save(Image.effect_noise((64, 64), 60).convert(mode), "JPEG", quality=quality)
    assert extract_metadata(data, "q.jpg", pixels=False)["image"]["quality"] == quality


def test_progressive_jpeg_and_density() -> None:
    data = _save(Image.new("RGB", (40, 30)), "JPEG", progressive=True, dpi=(300, 150))
    image = extract_metadata(data, "p.jpg", pixels=False)["image"]
    assert image["progressive"] is True
    assert image["dpi"] == [300, 150] and image["density"] == 300
    assert (image["format"], image["mode"], image["bitDepth"]) == ("jpg", "RGB", 8)
    baseline = _save(Image.new("RGB", (40, 30)), "JPEG")
    assert extract_metadata(baseline, "b.jpg", pixels=False)["image"]["progressive"] is False


def test_animation_frames_and_transparency() -> None:
    frames = [Image.new("RGBA", (16, 16), (i * 60, 0, 0, 255 if i else 0)) for i in range(4)]
    for fmt, mime in (("GIF", "image/gif"), ("WEBP", "image/webp"), ("PNG", "image/apng")):
        data = _save(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)
        meta = extract_metadata(data, f"anim.{fmt.lower()}", pixels=False)
        assert meta["file"]["mimeType"] == mime
        assert (meta["image"]["frames"], meta["image"]["animated"]) == (4, True), fmt
        assert meta["image"]["hasTransparency"] is True, fmt
    still = extract_metadata(_save(Image.new("RGB", (8, 8)), "PNG"), "s.png", pixels=False)
    assert (still["image"]["frames"], still["image"]["animated"]) == (1, False)
    assert still["image"]["hasTransparency"] is False


@pytest.mark.parametrize("f", corpus_params(lambda f: f.manifest["animated"] is not None))
def test_frames_agree_with_exiftool(f) -> None:
    image = extract_metadata(f.data, f.path.name, pixels=False)["image"]
    assert image["animated"] == f.manifest["animated"], f.id
    if f.manifest["frame_count"]:
        assert image["frames"] == f.manifest["frame_count"], f.id
    if f.manifest["progressive"] is not None:
        assert image["progressive"] == f.manifest["progressive"], f.id


@pytest.mark.parametrize("f", corpus_params(lambda f: f.manifest["has_icc"]))
def test_icc_profile_agrees_with_exiftool(f) -> None:
    icc = extract_metadata(f.data, f.path.name, pixels=False)["icc"]
    ref = f.exiftool
    if "ICC-header:ColorSpaceData" not in ref:
        pytest.skip("ExifTool could not parse this profile either")
    assert icc["colorSpace"] == ref["ICC-header:ColorSpaceData"].strip()
    version = ref["ICC-header:ProfileVersion"]
    assert icc["version"] == f"{version >> 8}.{(version >> 4) & 15}.{version & 15}"
    if "ICC_Profile:ProfileDescription" in ref:
        assert icc["description"] == str(ref["ICC_Profile:ProfileDescription"]).strip()
    assert extract_metadata(f.data, f.path.name, pixels=False)["image"]["hasColorProfile"]


@pytest.mark.parametrize("f", corpus_params(lambda f: f.manifest["orientation"] is not None))
def test_orientation_agrees_with_exiftool(f) -> None:
    meta = extract_metadata(f.data, f.path.name, pixels=False)
    assert meta["image"]["orientation"] == f.manifest["orientation"]


def test_predominant_colors_and_phash() -> None:
    image = Image.new("RGB", (100, 100), (220, 20, 20))
    image.paste((20, 40, 200), (0, 75, 100, 100))  # bottom quarter blue
    meta = extract_metadata(_save(image, "PNG"), "two.png")
    colors = meta["colors"]
    assert [c["hex"] for c in colors] == ["#dc1414", "#1428c8"]
    assert colors[0]["fraction"] == pytest.approx(0.75, abs=0.01)
    assert colors[1]["fraction"] == pytest.approx(0.25, abs=0.01)
    assert meta["pHash"] == str(imagehash.phash(image))


def test_transparent_pixels_are_not_a_color() -> None:
    image = Image.new("RGBA", (50, 50), (0, 0, 0, 0))
    image.paste((0, 200, 0, 255), (0, 0, 25, 50))
    colors = extract_metadata(_save(image, "PNG"), "half.png")["colors"]
    assert colors == [{"hex": "#00c800", "fraction": 1.0}]


# files whose pixels cannot be decoded: cut-off scan data (truncated_jpeg.jpg; ultrahdr.jpg,
# whose primary image ends before its EOI - ImageMagick: "Premature end of JPEG file") and
# a 623-byte HEIC stub with an 18-byte mdat
UNDECODABLE = {
    "Pillow/Tests/images/truncated_jpeg.jpg",
    "Pillow/Tests/images/ultrahdr.jpg",
    "exiftool/t/images/QuickTime.heic",
}


def test_pixels_over_the_corpus_are_json_or_null_with_a_warning() -> None:
    """A file whose pixels cannot be decoded keeps its metadata; its pixel fields are null."""
    undecodable = set()
    for f in corpus_files():
        meta = extract_metadata(f.data, f.path.name)
        json.dumps(meta, allow_nan=False)
        if meta["pHash"] is None:
            undecodable.add(f.id)
            assert meta["colors"] is None and meta["warnings"], f.id
            continue
        assert len(meta["pHash"]) == 16 and int(meta["pHash"], 16) >= 0, f.id
        fractions = [c["fraction"] for c in meta["colors"]]  # [] when every pixel is transparent
        assert not fractions or abs(sum(fractions) - 1) < 0.02, f.id
    assert undecodable == UNDECODABLE


@pytest.mark.parametrize(
    ("value", "subsec", "offset", "expected"),
    [
        ("2018:08:20 08:59:50", None, None, "2018-08-20T08:59:50"),
        ("2018:08:20 08:59:50", "123", "+03:00", "2018-08-20T08:59:50.123+03:00"),
        ("2013:07:04 17:23:10-03:00", None, None, "2013-07-04T17:23:10-03:00"),
        ("0000:00:00 00:00:00", None, None, None),
        ("2004:02:26", None, None, "2004-02-26"),
        ("2001:05:19 18:36:41 trailing junk", None, None, None),
        ("    :  :     :  :  ", None, None, None),
    ],
)
def test_iso_datetime(value, subsec, offset, expected) -> None:
    assert iso_datetime(value, subsec, offset) == expected


def test_gps_is_signed_by_hemisphere_over_the_corpus() -> None:
    checked = 0
    for f in corpus_files():
        ref = f.exiftool
        if "GPS:GPSLatitude" not in ref or "GPS:GPSLongitude" not in ref:
            continue
        gps = extract_metadata(f.data, f.path.name, pixels=False)["gps"]
        lat, lon = ref["GPS:GPSLatitude"], ref["GPS:GPSLongitude"]
        if not (isinstance(lat, (int, float)) and isinstance(lon, (int, float))):
            continue
        lat = -lat if ref.get("GPS:GPSLatitudeRef") == "S" else lat
        lon = -lon if ref.get("GPS:GPSLongitudeRef") == "W" else lon
        if abs(lat) > 90 or abs(lon) > 180:
            assert gps is None, f.id  # out-of-range coordinates are dropped
            continue
        assert gps["latitude"] == pytest.approx(lat, abs=1e-7), f.id
        assert gps["longitude"] == pytest.approx(lon, abs=1e-7), f.id
        checked += 1
    assert checked >= 8


def test_cli_prints_json_lines_for_several_files(tmp_path) -> None:
    one, two = tmp_path / "a.jpg", tmp_path / "b.png"
    one.write_bytes(_save(Image.new("RGB", (4, 4)), "JPEG"))
    two.write_bytes(_save(Image.new("RGB", (5, 3)), "PNG"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "exifq",
            "extract",
            "--local",
            "--no-pixels",
            str(one),
            str(two),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["metadata"]["image"]["width"] for line in lines] == [4, 5]
    assert all(line["success"] for line in lines)

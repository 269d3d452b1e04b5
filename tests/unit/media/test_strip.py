"""Strip over the whole corpus, judged by ExifTool and Pillow.

Every corpus file of a format we strip goes through ``strip_metadata`` with
three ``keep`` sets. ExifTool (one process per batch of files) must find no
identifying tag left beyond what ``keep`` kept and no more ``-validate``
warnings than in the input; Pillow must decode the same pixels (every frame);
JPEG scan data must be byte-identical; stripping twice changes nothing.
The helpers here are shared by the other ``test_strip_*`` modules.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence
from PIL.JpegImagePlugin import JpegImageFile

from common.errors import CorruptImage
from tests.conftest import CorpusFile, corpus_files, corpus_params
from worker.media.decode import _configure_pillow, check_pixel_count
from worker.media.formats import sniff
from worker.media.strip import StripResult, strip_metadata

KEEPS = {
    "default": frozenset({"icc", "orientation"}),
    "none": frozenset(),
    "all": frozenset({"icc", "orientation", "copyright"}),
}
TRUNCATED = {"Pillow/Tests/images/truncated_jpeg.jpg", "Pillow/Tests/images/ultrahdr.jpg"}

# What may be left after stripping, by ExifTool family-1 group. Any other group
# (ExifIFD, GPS, IFD1, InteropIFD, maker-note groups, IPTC, Photoshop, XMP-*,
# APPn, MPF, FlashPix, ...) is a leak.
STRUCTURE = {
    "JFIF": {"JFIFVersion", "ResolutionUnit", "XResolution", "YResolution"},
    "Adobe": {"DCTEncodeVersion", "APP14Flags0", "APP14Flags1", "ColorTransform"},
    "PNG": {
        "ImageWidth", "ImageHeight", "BitDepth", "ColorType", "Compression", "Filter",
        "Interlace", "Gamma", "WhitePointX", "WhitePointY", "RedX", "RedY", "GreenX", "GreenY",
        "BlueX", "BlueY", "SRGBRendering", "BackgroundColor", "AnimationFrames",
        "AnimationPlays", "SignificantBits", "Transparency", "Palette",
    },
    "PNG-pHYs": {"PixelsPerUnitX", "PixelsPerUnitY", "PixelUnits"},
    "GIF": {
        "GIFVersion", "ImageWidth", "ImageHeight", "HasColorMap", "ColorResolutionDepth",
        "BitsPerPixel", "BackgroundColor", "PixelAspectRatio", "AnimationIterations",
        "FrameCount", "Duration", "TransparentColor",
    },
    "RIFF": {
        "WebP_Flags", "ImageWidth", "ImageHeight", "VP8Version", "HorizontalScale",
        "VerticalScale", "AlphaCompression", "AlphaFiltering", "AlphaPreprocessing",
        "AnimationLoopCount", "BackgroundColor", "Duration",
    },
    "IFD0": {"XResolution", "YResolution", "ResolutionUnit", "YCbCrPositioning"},
}  # fmt: skip
# The TIFF fields a decoder needs, as ExifTool names them (IFD0 of a stripped TIFF).
TIFF_STRUCTURE = {
    "SubfileType", "OldSubfileType", "ImageWidth", "ImageHeight", "BitsPerSample",
    "Compression", "PhotometricInterpretation", "Thresholding", "FillOrder", "StripOffsets",
    "SamplesPerPixel", "RowsPerStrip", "StripByteCounts", "MinSampleValue", "MaxSampleValue",
    "XResolution", "YResolution", "PlanarConfiguration", "T4Options", "T6Options",
    "ResolutionUnit", "PageNumber", "TransferFunction", "Predictor", "WhitePoint",
    "PrimaryChromaticities", "ColorMap", "TileWidth", "TileLength", "TileOffsets",
    "TileByteCounts", "InkSet", "ExtraSamples", "SampleFormat", "JPEGTables",
    "YCbCrCoefficients", "YCbCrSubSampling", "YCbCrPositioning", "ReferenceBlackWhite",
}  # fmt: skip
ANYTHING = {"ExifTool", "System", "Composite", "QuickTime", "Meta"}
NEVER = {"Comment", "CurrentIPTCDigest", "Make", "Model", "Software", "ThumbnailImage"}


def leaks(tags: dict, keep: frozenset[str]) -> list[str]:
    """The ``Group:Tag`` keys of ExifTool's ``-G1`` output that ``keep`` does not explain."""
    is_tiff = tags.get("File:FileType") == "TIFF"
    allowed = {group: set(names) for group, names in STRUCTURE.items()}
    if is_tiff:
        allowed["IFD0"] = set(TIFF_STRUCTURE)
    if "orientation" in keep:
        allowed["IFD0"].add("Orientation")
    if "copyright" in keep:
        allowed["IFD0"] |= {"Artist", "Copyright"}
    if "icc" in keep:
        allowed["PNG"] |= {"ProfileName", "ICC_Profile"}
    found = []
    for key in tags.keys() - {"SourceFile"}:
        group, _, name = key.partition(":")
        if name in NEVER:
            found.append(key)
        elif group in ANYTHING or group == "File" or (group.startswith("ICC") and "icc" in keep):
            continue
        elif is_tiff and re.fullmatch(r"IFD\d+", group):
            found += [key] if name not in allowed["IFD0"] else []
        elif name not in allowed.get(group, ()):
            found.append(key)
    return found


def exiftool_batch(paths: list[Path], *args: str) -> dict[str, dict]:
    """ExifTool's JSON for many files in one process, by path; repeated keys become lists."""

    def merge(pairs: list[tuple[str, object]]) -> dict:
        merged: dict = {}
        for key, value in pairs:
            if key in merged:
                previous = merged[key] if isinstance(merged[key], list) else [merged[key]]
                merged[key] = [*previous, value]
            else:
                merged[key] = value
        return merged

    proc = subprocess.run(
        ["exiftool", "-j", "-G1", "-a", "-charset", "filename=utf8", *args, *map(str, paths)],
        capture_output=True,
        check=False,
    )
    rows = json.loads(proc.stdout or b"[]", object_pairs_hook=merge)
    return {row["SourceFile"]: row for row in rows}


def warnings(row: dict) -> list[str]:
    """The ``-validate -warning`` warnings ExifTool listed for one file."""
    found = []
    for key, value in row.items():
        if key.endswith(":Warning"):
            found += value if isinstance(value, list) else [value]
    return found


def frames(data: bytes, max_pixels: int = 50_000_000) -> list[np.ndarray]:
    """Every frame Pillow decodes (the primary image only for JPEG: MPF extras are dropped).

    A frame over ``max_pixels`` raises instead of being decoded: mutated
    headers may declare gigapixel images.
    """
    _configure_pillow()
    if data[:2] == b"\xff\xd8":
        image = JpegImageFile(io.BytesIO(data))
        check_pixel_count(image.width, image.height, max_pixels)
        return [np.asarray(image)]
    decoded_frames = []
    for frame in ImageSequence.Iterator(Image.open(io.BytesIO(data))):
        check_pixel_count(frame.width, frame.height, max_pixels)
        decoded_frames.append(np.asarray(frame.convert("RGBA")))
    return decoded_frames


def decoded(data: bytes, max_pixels: int = 50_000_000) -> list[np.ndarray] | None:
    """Like :func:`frames`, ``None`` when Pillow cannot decode ``data``."""
    try:
        return frames(data, max_pixels)
    except Exception:
        return None


def decodes(data: bytes) -> bool:
    return decoded(data) is not None


def assert_same_pixels(before: list[np.ndarray] | bytes | None, after: bytes) -> None:
    """Pillow decodes the same frames from both, or neither (a stub HEIC in the corpus).

    ``before`` is the input, or its frames when the caller decoded them already.
    """
    if isinstance(before, bytes):
        before = decoded(before)
    if before is None:
        assert not decodes(after)
        return
    new = frames(after)
    assert len(before) == len(new)
    for index, (a, b) in enumerate(zip(before, new, strict=True)):
        assert a.shape == b.shape and np.array_equal(a, b), f"frame {index} differs"


def jpeg_scan_start(data: bytes) -> int:
    """Offset of the first SOS marker, found by walking the marker segments."""
    pos = 2
    while True:
        while data[pos] != 0xFF or data[pos + 1] == 0xFF:
            pos += 1
        if data[pos + 1] == 0xDA:
            return pos
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")


def assert_same_scans(before: bytes, after: bytes) -> None:
    """The output's image data (first SOS through EOI) is a byte-for-byte copy of the input's."""
    new = after[jpeg_scan_start(after) :]
    old_start = jpeg_scan_start(before)
    assert new.endswith(b"\xff\xd9")
    assert new == before[old_start : old_start + len(new)]


def strippable(item: CorpusFile) -> bool:
    return sniff(item.data[:32]) is not None


@cache
def stripped(keep_name: str) -> dict[str, StripResult | CorruptImage]:
    """Every corpus file stripped with one keep set (or the error it raised), by corpus path."""
    results: dict[str, StripResult | CorruptImage] = {}
    for item in corpus_files():
        try:
            results[item.id] = strip_metadata(item.data, keep=KEEPS[keep_name])
        except CorruptImage as exc:
            results[item.id] = exc
    return results


@pytest.fixture(scope="session")
def corpus_exiftool(tmp_path_factory) -> dict[str, dict[str, dict]]:
    """ExifTool's ``-G1`` tags of every stripped output, by keep set, then corpus path."""
    readings = {}
    for keep_name in KEEPS:
        folder = tmp_path_factory.mktemp(f"stripped-{keep_name}")
        paths = {}
        for index, (path, result) in enumerate(stripped(keep_name).items()):
            if isinstance(result, StripResult):
                paths[path] = folder / f"{index}{Path(path).suffix}"
                paths[path].write_bytes(result.data)
        rows = exiftool_batch(list(paths.values()))
        readings[keep_name] = {path: rows[str(out)] for path, out in paths.items()}
    return readings


@pytest.fixture(scope="session")
def corpus_warnings(tmp_path_factory) -> dict[str, tuple[list[str], list[str]]]:
    """``exiftool -validate -warning`` before and after a default strip, by corpus path."""
    folder = tmp_path_factory.mktemp("validate")
    inputs, outputs = {}, {}
    for index, (path, result) in enumerate(stripped("default").items()):
        if isinstance(result, StripResult):
            inputs[path] = next(f.path for f in corpus_files() if f.id == path)
            outputs[path] = folder / f"{index}{Path(path).suffix}"
            outputs[path].write_bytes(result.data)
    before = exiftool_batch(list(inputs.values()), "-validate", "-warning")
    after = exiftool_batch(list(outputs.values()), "-validate", "-warning")
    return {
        path: (warnings(before[str(inputs[path])]), warnings(after[str(outputs[path])]))
        for path in inputs
    }


CORPUS = corpus_params(strippable)


@pytest.mark.parametrize("keep_name", KEEPS)
@pytest.mark.parametrize("item", CORPUS)
def test_exiftool_finds_nothing_left_but_what_keep_kept(item, keep_name, corpus_exiftool):
    if item.id in TRUNCATED:
        pytest.skip("truncated input: refused, see test_truncated_corpus_files_are_refused")
    assert leaks(corpus_exiftool[keep_name][item.id], KEEPS[keep_name]) == []


@pytest.mark.parametrize("item", CORPUS)
def test_kept_groups_carry_the_input_values(item, corpus_exiftool):
    """keep=icc,orientation,copyright: Orientation (2-8) and the ICC profile survive unchanged."""
    if item.id in TRUNCATED:
        pytest.skip("truncated input")
    after = corpus_exiftool["all"][item.id]
    orientation = item.manifest["orientation"]
    if item.manifest["mime"] in ("image/heic", "image/heif"):
        orientation = None  # HEIF states orientation with irot/imir, kept in place
    if orientation not in (None, 1):
        assert _orientation_number(after["IFD0:Orientation"]) == orientation
    if item.exiftool.get("ICC-header:ProfileDescription") or item.exiftool.get(
        "ICC_Profile:ProfileDescription"
    ):
        assert any(key.startswith("ICC") for key in after)


def _orientation_number(text: str) -> int:
    names = [
        "Horizontal (normal)", "Mirror horizontal", "Rotate 180", "Mirror vertical",
        "Mirror horizontal and rotate 270 CW", "Rotate 90 CW",
        "Mirror horizontal and rotate 90 CW", "Rotate 270 CW",
    ]  # fmt: skip
    return names.index(text) + 1


@pytest.mark.parametrize("item", CORPUS)
def test_pixels_are_unchanged(item):
    """With the default keep and with nothing kept (Pillow's TIFF reader applies Orientation
    itself, so a TIFF that loses it is left out of the second comparison)."""
    default, nothing = stripped("default")[item.id], stripped("none")[item.id]
    if item.id in TRUNCATED:
        assert isinstance(default, CorruptImage) and not decodes(item.data)
        return
    old = decoded(item.data)
    assert_same_pixels(old, default.data)
    if item.manifest["mime"] != "image/tiff":
        assert_same_pixels(old, nothing.data)


@pytest.mark.parametrize("item", corpus_params(lambda f: f.manifest["mime"] == "image/jpeg"))
def test_jpeg_scan_data_is_byte_identical(item):
    for keep_name in KEEPS:
        result = stripped(keep_name)[item.id]
        if item.id not in TRUNCATED:
            assert_same_scans(item.data, result.data)


@pytest.mark.parametrize("item", CORPUS)
def test_no_more_validate_warnings_than_the_input(item, corpus_warnings):
    if item.id in TRUNCATED:
        pytest.skip("truncated input")
    before, after = corpus_warnings[item.id]
    assert len(after) <= len(before), after


@pytest.mark.parametrize("keep_name", KEEPS)
@pytest.mark.parametrize("item", CORPUS)
def test_stripping_twice_changes_nothing(item, keep_name):
    result = stripped(keep_name)[item.id]
    if item.id in TRUNCATED:
        return
    again = strip_metadata(result.data, keep=KEEPS[keep_name])
    assert again.data == result.data
    assert again.report["removed"] == []
    assert again.report["removedGroups"] == []


def test_truncated_corpus_files_are_refused():
    """Both files stop inside the entropy-coded data; Pillow refuses them too."""
    for path in TRUNCATED:
        result = stripped("default")[path]
        assert isinstance(result, CorruptImage) and "EOI" in result.message


@pytest.mark.parametrize("item", CORPUS)
def test_report_is_json_and_adds_up(item):
    result = stripped("default")[item.id]
    if item.id in TRUNCATED:
        return
    report = json.loads(json.dumps(result.report))
    assert set(report) == {
        "format",
        "removed",
        "removedGroups",
        "kept",
        "bytesBefore",
        "bytesAfter",
    }
    assert report["format"] == sniff(item.data[:32]).name
    assert report["bytesBefore"] == len(item.data)
    assert report["bytesAfter"] == len(result.data)
    assert all(set(entry) == {"type", "size"} and entry["size"] >= 0 for entry in report["removed"])
    assert set(report["kept"]) <= KEEPS["default"]
    if report["format"] in ("jpg", "png", "webp", "gif"):  # containers whose parts are only cut
        assert report["bytesAfter"] <= report["bytesBefore"] + 200


@pytest.mark.parametrize(
    "item", corpus_params(lambda f: f.manifest["has_gps"] and f.id not in TRUNCATED)
)
def test_gps_is_reported_removed(item):
    result = stripped("default")[item.id]
    assert "gps" in result.report["removedGroups"]

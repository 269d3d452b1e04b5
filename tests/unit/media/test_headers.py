"""``worker.media.headers`` states a JPEG's size, mode and dpi exactly as Pillow's lazy
``Image.open`` does, or declines: checked against Pillow itself on every corpus JPEG, on
files ExifTool wrote for each way the resolution can be given, and on thousands of
mutated headers (whenever it answers, Pillow opens the file and agrees). The metadata-only
extract of every corpus JPEG is the same with and without it."""

from __future__ import annotations

import io
import random
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest
from PIL import Image

import worker.media.extract as extract_module
from common.errors import ExifqError
from tests.conftest import corpus_params
from worker.media.decode import open_image
from worker.media.extract import extract_metadata
from worker.media.headers import jpeg_header

_JPEG = corpus_params(lambda f: f.path.suffix.lower() in (".jpg", ".jpeg"))


def _pillow(data: bytes) -> tuple | None:
    """What Pillow states (through the same ``open_image`` the extract used), or ``None``
    when it refuses the header."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            image, _ = open_image(data, max_pixels=10**12)
        except ExifqError:
            return None
    return (image.size, image.mode, image.getbands(), image.info.get("dpi"),
            getattr(image, "n_frames", 1))  # fmt: skip


def _ours(data: bytes) -> tuple | None:
    header = jpeg_header(data)
    if header is None:
        return None
    return header.size, header.mode, header.getbands(), header.info.get("dpi"), 1


@pytest.mark.parametrize("corpus_file", _JPEG)
def test_corpus_jpeg_header_is_pillows(corpus_file) -> None:
    data = corpus_file.path.read_bytes()
    ours = _ours(data)
    if ours is not None:
        assert ours == _pillow(data)


@pytest.mark.parametrize("corpus_file", _JPEG)
def test_metadata_only_extract_is_unchanged(corpus_file, monkeypatch) -> None:
    data = corpus_file.path.read_bytes()
    name = corpus_file.path.name
    try:
        fast = extract_metadata(data, name, pixels=False)
    except ExifqError as exc:
        fast = exc.code
    monkeypatch.setattr(extract_module, "jpeg_header", lambda data: None)
    try:
        with_pillow = extract_metadata(data, name, pixels=False)
    except ExifqError as exc:
        with_pillow = exc.code
    assert fast == with_pillow


def test_most_camera_files_need_no_pillow() -> None:
    answered = [p for p in _JPEG if p.values[0] and jpeg_header(p.values[0].path.read_bytes())]
    assert len(answered) >= 0.8 * len(_JPEG), len(answered)


def _jpeg(mode: str = "RGB", **options: object) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (48, 32), 90).save(out, "JPEG", **options)
    return out.getvalue()


def _exiftool(data: bytes, tmp_path: Path, *args: str) -> bytes:
    if shutil.which("exiftool") is None:
        pytest.skip("ExifTool is not installed")
    path = tmp_path / "w.jpg"
    path.write_bytes(data)
    subprocess.run(["exiftool", "-q", "-q", "-overwrite_original", *args, str(path)], check=True)
    return path.read_bytes()


RESOLUTIONS = {
    "inches": ("-ResolutionUnit=inches", "-XResolution=300", "-YResolution=300"),
    "cm": ("-ResolutionUnit=cm", "-XResolution=28.35", "-YResolution=28.35"),
    "no unit": ("-ResolutionUnit=", "-XResolution=240", "-YResolution=240"),
    "unit only": ("-ResolutionUnit=inches", "-XResolution=", "-YResolution="),
    "fraction": ("-ResolutionUnit=inches", "-XResolution=72.3333", "-YResolution=72"),
}


@pytest.mark.parametrize("tags", RESOLUTIONS.values(), ids=RESOLUTIONS)
def test_exif_resolution_without_jfif(tags: tuple[str, ...], tmp_path: Path) -> None:
    """Without a JFIF density Pillow reads XResolution of IFD0 (72 when it cannot)."""
    data = _exiftool(_jpeg(), tmp_path, "-JFIF:all=", "-Artist=A", *tags)
    assert _ours(data) is not None
    assert _ours(data) == _pillow(data)


@pytest.mark.parametrize(
    "mode, options",
    [("RGB", {"dpi": (300, 150)}), ("L", {}), ("CMYK", {}), ("RGB", {"progressive": True}),
     ("RGB", {"dpi": (0, 0)})],
)  # fmt: skip
def test_jfif_density_and_modes(mode: str, options: dict) -> None:
    data = _jpeg(mode, **options)
    assert _ours(data) is not None
    assert _ours(data) == _pillow(data)


def test_mpo_is_left_to_pillow(tmp_path: Path) -> None:
    """An MPF index makes Pillow open an MPO (its frames counted): not ours to state."""
    first, second = Image.new("RGB", (32, 24), 10), Image.new("RGB", (32, 24), 200)
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second])
    assert jpeg_header(out.getvalue()) is None
    assert _pillow(out.getvalue())[-1] == 2


def test_mutated_headers_agree_with_pillow_whenever_answered(tmp_path: Path) -> None:
    base = [
        _exiftool(_jpeg(), tmp_path, "-JFIF:all=", *RESOLUTIONS["cm"], "-XMP-dc:Title=T"),
        _exiftool(_jpeg("L", dpi=(96, 96)), tmp_path, "-Artist=A", "-IPTC:Keywords=k"),
        _jpeg("CMYK", progressive=True),
    ]
    rng = random.Random(17)
    answered = 0
    for data in base:
        for _ in range(700):
            mutated = bytearray(data)
            for _ in range(rng.choice((1, 2, 4))):
                mutated[rng.randrange(2, len(data))] = rng.choice(
                    (0, 1, 2, 3, 0xFF, 0xD8, 0xDA, 0xC0, rng.randrange(256))
                )
            if rng.random() < 0.2:
                mutated = mutated[: rng.randrange(2, len(data))]
            ours = _ours(bytes(mutated))
            if ours is not None:
                answered += 1
                assert ours == _pillow(bytes(mutated)), bytes(mutated[:400])
    assert answered > 500

"""``exifq extract --local --no-pixels FILE`` imports only what it uses: no settings model
(pydantic), no NumPy, no service packages, no Pillow for a JPEG (its header is read as
Pillow reads it: ``worker.media.headers``), no OpenSSL for a small file's digests
(``worker.media.digests``), and of ExifTool's
tables only the families the file needs. Run in a fresh interpreter, ``sys.modules``
read after the command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

_RUN = """
import json, sys
from exifq.cli import main
code = main(sys.argv[1:])
loaded = sorted(sys.modules["worker.media.extract.tables"].active()._loaded)
sys.stdout.flush()
print("\\nMODULES " + json.dumps({"code": code, "modules": sorted(sys.modules), "tables": loaded}))
"""

NOT_IMPORTED = (
    "numpy", "pydantic", "pydantic_settings", "scipy", "cv2", "flask", "celery", "redis",
    "pillow_heif", "PIL", "common.settings", "worker.media.pixels", "worker.media.hashes",
    "filelock", "hashlib", "logging", "subprocess",
)  # fmt: skip


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> str:
    """A JPEG with EXIF and XMP written by ExifTool (no maker notes)."""
    if shutil.which("exiftool") is None:
        pytest.skip("ExifTool is not installed")
    from PIL import Image

    path = tmp_path_factory.mktemp("cold") / "photo.jpg"
    Image.new("RGB", (64, 48), (10, 120, 200)).save(path, quality=90)
    subprocess.run(
        ["exiftool", "-q", "-overwrite_original", "-Artist=Ada", "-XMP-dc:Title=Cold",
         "-DateTimeOriginal=2024:01:02 03:04:05", str(path)],
        check=True,
    )  # fmt: skip
    return str(path)


def _modules(*argv: str) -> tuple[dict, set[str], set[str]]:
    """The command's JSON answer, the modules imported and the table families loaded."""
    proc = subprocess.run(
        [sys.executable, "-c", _RUN, *argv], capture_output=True, text=True, timeout=300
    )
    out, _, tail = proc.stdout.rpartition("\nMODULES ")
    assert tail, proc.stderr[-2000:]
    answer = json.loads(tail)
    assert answer["code"] == 0, proc.stderr[-2000:]
    return json.loads(out), set(answer["modules"]), set(answer["tables"])


def test_metadata_only_run_imports_no_numpy_nor_settings_model(photo: str) -> None:
    result, modules, tables = _modules("extract", "--local", "--no-pixels", photo)
    assert result["metadata"]["exif"]["image"]["Artist"] == "Ada"
    assert result["metadata"]["xmp"], result["metadata"]
    leaked = [name for name in NOT_IMPORTED if name in modules]
    assert not leaked, f"imported: {leaked}"
    assert "exif" in tables
    assert not tables & {"canon", "nikon", "sony", "olympus", "panasonic", "fujifilm"}, tables


def test_pixels_still_work_from_the_same_command(photo: str) -> None:
    result, modules, _ = _modules("extract", "--local", photo)
    assert len(result["metadata"]["pHash"]) == 16 and result["metadata"]["colors"]
    assert "numpy" in modules and "pydantic" not in modules

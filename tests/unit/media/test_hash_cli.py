"""``exifq hash --local``: the hashes as JSON, run as the command line runs it."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO
from worker.media.hashes import compute_hashes


def exifq(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "exifq", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> bytes:
    rng = np.random.default_rng(3)
    small = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
    out = io.BytesIO()
    small.resize((1600, 1200), Image.Resampling.BICUBIC).save(out, "JPEG", quality=90)
    return out.getvalue()


def test_one_file_prints_one_json_object(tmp_path, photo):
    path = tmp_path / "photo.jpg"
    path.write_bytes(photo)
    types = "phash,dhash,ahash,whash,bmh0,bmh1,md5,sha256"
    done = exifq("hash", "--local", "--types", types, str(path))
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body == {
        "success": True,
        "fileName": "photo.jpg",
        "hashes": compute_hashes(photo, types.split(",")),
        "width": 1600,
        "height": 1200,
    }


def test_several_files_print_json_lines_and_failures_set_the_status(tmp_path, photo):
    good, bad = tmp_path / "a.jpg", tmp_path / "b.jpg"
    good.write_bytes(photo)
    bad.write_bytes(photo[:1500])
    done = exifq("hash", "--local", "--fast", "--types", "phash,md5", str(good), str(bad))
    assert done.returncode == 1
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert first["hashes"] == compute_hashes(photo, ["phash", "md5"], fast=True)
    assert second["success"] is False and second["error"]["code"] == "corrupt_image"


def test_default_types_and_unknown_types(tmp_path, photo):
    path = tmp_path / "photo.jpg"
    path.write_bytes(photo)
    assert list(json.loads(exifq("hash", "--local", str(path)).stdout)["hashes"]) == [
        "phash",
        "md5",
        "sha256",
    ]
    done = exifq("hash", "--local", "--types", "phash,colorhash", str(path))
    assert done.returncode == 2 and "colorhash" in done.stderr

"""Where ExifTool's library is: asked of Perl once per program, then remembered in the
tables' cache (a Perl start costs as much as a whole ``exiftool`` run)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from worker.media.extract.codegen import exiftool as found


@pytest.fixture
def program() -> Path:
    path = shutil.which("exiftool")
    if path is None:
        pytest.skip("ExifTool is not installed")
    real = Path(path).resolve()
    if (real.parent / "lib" / "Image" / "ExifTool.pm").is_file():
        pytest.skip("this ExifTool keeps its library beside it: Perl is never asked")
    return real


def test_perl_is_asked_once_then_the_answer_is_remembered(program, tmp_path, monkeypatch):
    first = found.locate(str(program), tmp_path)
    memo = json.loads((tmp_path / "located.json").read_text())
    assert list(memo.values()) == [str(first.lib)]

    def no_perl(_program):
        raise AssertionError("Perl was asked again")

    monkeypatch.setattr(found, "_from_perl", no_perl)
    again = found.locate(str(program), tmp_path)
    assert again == first


def test_a_changed_program_or_a_damaged_memo_asks_perl_again(program, tmp_path, monkeypatch):
    found.locate(str(program), tmp_path)
    asked = []
    real_from_perl = found._from_perl
    monkeypatch.setattr(found, "_from_perl", lambda p: asked.append(p) or real_from_perl(p))
    memo = tmp_path / "located.json"
    key = next(iter(json.loads(memo.read_text())))
    memo.write_text(json.dumps({key.replace(":", ":9", 1): "/nowhere"}))  # another size
    assert found.locate(str(program), tmp_path).lib.is_dir()
    memo.write_text("{not json")
    assert found.locate(str(program), tmp_path).lib.is_dir()
    assert len(asked) == 2


def test_a_read_only_cache_only_means_asking_each_time(program, tmp_path):
    cache = tmp_path / "ro"
    cache.mkdir()
    os.chmod(cache, 0o500)
    try:
        assert found.locate(str(program), cache).lib.is_dir()
    finally:
        os.chmod(cache, 0o700)

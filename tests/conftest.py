"""Fixtures every test may use: the shared real-camera corpus and ExifTool as the reference."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _find_corpus() -> Path | None:
    """``EXIFQ_CORPUS`` when set (a folder without a manifest means "no corpus"), else the
    shared corpus beside the repository."""
    if "EXIFQ_CORPUS" in os.environ:
        candidates = [os.environ["EXIFQ_CORPUS"]]
    else:
        candidates = [REPO.parent / "shared" / "corpus", Path("/work/shared/corpus")]
    for candidate in candidates:
        if candidate and (Path(candidate) / "manifest.json").is_file():
            return Path(candidate)
    return None


CORPUS = _find_corpus()


def pytest_configure(config: pytest.Config) -> None:
    """Extraction uses the tables of the machine's ExifTool (built on first need into the
    cache the settings name), and a failing table expression fails the test."""
    from common.settings import load_settings
    from worker.media.extract import engine, perl, tables

    settings = load_settings()
    try:
        engine.use_exiftool(settings.exiftool, settings.tables_dir)
    except engine.ExifToolNotFound as exc:  # the tests that extract fail with this message
        message = f"{exc} (tests/run.sh installs it)"

        def missing() -> None:
            raise engine.ExifToolNotFound(message)

        tables.use(missing)
    perl.set_strict(True)


@dataclass(frozen=True)
class CorpusFile:
    """One corpus image: its manifest row and ExifTool's reading (``-j -G1 -n -struct``)."""

    path: Path
    manifest: dict
    exiftool: dict

    @property
    def id(self) -> str:
        return self.manifest["path"]

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()


@cache
def corpus_files() -> tuple[CorpusFile, ...]:
    """Every corpus image, in manifest order; without the corpus, the calling test (or module)
    is skipped."""
    if CORPUS is None:
        pytest.skip("the shared corpus was not found: set EXIFQ_CORPUS", allow_module_level=True)
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    readings = {
        row["SourceFile"]: row for row in json.loads((CORPUS / "exiftool.json").read_text())
    }
    return tuple(CorpusFile(CORPUS / row["path"], row, readings[row["path"]]) for row in manifest)


def corpus_params(predicate=lambda f: True) -> list:
    """``pytest.param`` per matching corpus file, with its corpus path as the test id."""
    if CORPUS is None:
        return [pytest.param(None, marks=pytest.mark.skip(reason="corpus not found"))]
    return [pytest.param(f, id=f.id) for f in corpus_files() if predicate(f)]


def corpus_path(relative: str | Path) -> Path:
    """A file of the corpus; without the corpus, the calling test is skipped."""
    if CORPUS is None:
        pytest.skip("the shared corpus was not found: set EXIFQ_CORPUS", allow_module_level=True)
    return CORPUS / relative


@pytest.fixture(scope="session")
def corpus() -> tuple[CorpusFile, ...]:
    return corpus_files()


def exiftool(*args: str | Path, input: bytes | None = None) -> list[dict]:
    """Run ExifTool with ``-j`` and return its JSON (``-`` as a path reads ``input``)."""
    if shutil.which("exiftool") is None:
        pytest.fail("ExifTool is not installed: tests/run.sh installs it (libimage-exiftool-perl)")
    proc = subprocess.run(
        ["exiftool", "-j", *map(str, args)], input=input, capture_output=True, check=False
    )
    if not proc.stdout.strip():
        raise RuntimeError(f"exiftool failed: {proc.stderr.decode(errors='replace')}")
    return json.loads(proc.stdout)

"""Fixtures for the media tests: each ExifTool version the engine is checked against, and the
videos built for them (``tests/support/videos.py``)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.settings import load_settings
from tests.support.exiftools import ExifToolVersion, versions
from tests.support.videos import build_videos
from worker.media.extract import engine, perl, tables

VERSION_LABELS = ("debian", "newest")


@pytest.fixture(scope="module", params=VERSION_LABELS)
def exiftool_version(request: pytest.FixtureRequest) -> ExifToolVersion:
    """Debian's ExifTool, then the newest (``exiftool-vendored.pl``), one module run each."""
    return next(v for v in versions() if v.label == request.param)


@pytest.fixture(scope="module")
def version_tables(exiftool_version: ExifToolVersion) -> Iterator[tables.TableSet]:
    """That version's tables (built on first need), in use for the module's tests.

    With the newest ExifTool, what the translator cannot handle (an untranslated
    expression, a helper we lack) is reported, not fatal; with Debian's it fails the test."""
    built = engine.load_tables(exiftool_version.program, load_settings().tables_dir)
    lenient = (perl.NotTranslated, perl.MissingHelper) if is_newest(exiftool_version) else ()
    before = dict(perl.COUNTS)
    with tables.using(built), perl.tolerating(*lenient):
        yield built
    reported = [f"{w}: {e}" for (w, e), n in perl.COUNTS.items() if n > before.get((w, e), 0)]
    if reported:
        warnings.warn("ExifTool " + built.version + ": " + "; ".join(reported), stacklevel=1)


def is_newest(version: ExifToolVersion) -> bool:
    return version.label == "newest"


@pytest.fixture(scope="session")
def videos(tmp_path_factory) -> dict[str, Path]:
    """Every test video (name -> path), built once per session; do not modify them."""
    return build_videos(tmp_path_factory.mktemp("videos"))

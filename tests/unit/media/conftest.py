"""Fixtures for the media tests: each ExifTool version the engine is checked against."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from common.settings import load_settings
from tests.support.exiftools import ExifToolVersion, versions
from worker.media.extract import engine, tables

VERSION_LABELS = ("debian", "newest")


@pytest.fixture(scope="module", params=VERSION_LABELS)
def exiftool_version(request: pytest.FixtureRequest) -> ExifToolVersion:
    """Debian's ExifTool, then the newest (``exiftool-vendored.pl``), one module run each."""
    return next(v for v in versions() if v.label == request.param)


@pytest.fixture(scope="module")
def version_tables(exiftool_version: ExifToolVersion) -> Iterator[tables.TableSet]:
    """That version's tables (built on first need), in use for the module's tests."""
    built = engine.load_tables(exiftool_version.program, load_settings().tables_dir)
    with tables.using(built):
        yield built

"""Fixtures of the media tests: the videos built for them (``tests/support/videos.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.videos import build_videos


@pytest.fixture(scope="session")
def videos(tmp_path_factory) -> dict[str, Path]:
    """Every test video (name -> path), built once per session; do not modify them."""
    return build_videos(tmp_path_factory.mktemp("videos"))

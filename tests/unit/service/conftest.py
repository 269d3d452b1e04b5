"""Fixtures of the in-process service tests."""

from __future__ import annotations

import pytest

from tests.support.harness import Harness, make_harness


@pytest.fixture()
def h(tmp_path) -> Harness:
    """The API and the pipeline in-process, over fakeredis and a local directory."""
    return make_harness(tmp_path)

"""A private clamd for the tests (``exifq.cli.clamd``), on the EICAR-only test database.

``tests/run.sh`` installs Debian's clamav-daemon; a test that needs clamd fails
(not skips) without it, so that a missing install step shows.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from exifq.cli import clamd as launcher
from tests.support.stack import free_port

EICAR = launcher.EICAR
STREAM_MAX_BYTES = 1024 * 1024  # small, so that the over-the-limit case is cheap


def start(folder: Path, tcp: bool = False) -> launcher.PrivateClamd:
    """clamd on a unix socket in ``folder`` (and on a free loopback port with ``tcp``)."""
    if launcher.installed() is None:
        pytest.fail("clamd is not installed: tests/run.sh installs clamav-daemon")
    database = launcher.write_test_database(folder / "database")
    port = free_port() if tcp else None
    return launcher.start(
        folder, database=database, stream_max_bytes=STREAM_MAX_BYTES, tcp_port=port
    )


def photo(extra: bytes = b"") -> bytes:
    """A small JPEG; ``extra`` goes after its end (where malware hides in images)."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, "JPEG", quality=90)
    return out.getvalue() + extra

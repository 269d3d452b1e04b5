"""Virus scanning against a real clamd (common.clamav), on a private socket."""

from __future__ import annotations

import socket
import threading

import pytest

from common.clamav import Clamd, ScanUnavailable, parse_version, scan
from tests.support import clamd as private

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    clamd = private.start(tmp_path_factory.mktemp("clamd"), tcp=True)
    yield clamd
    clamd.stop()


class Endpoint:
    def __init__(self, url: str) -> None:
        self.url = url


@pytest.fixture(params=["unix", "tcp"])
def clamd(running, request):
    """The same clamd through its unix socket and through loopback TCP."""
    return Endpoint(running.url if request.param == "unix" else running.tcp_url)


def _clamd(url: str, max_bytes: int = 64 * 1024 * 1024) -> Clamd:
    return Clamd(url, timeout=10, max_bytes=max_bytes)


def test_eicar_is_infected_with_its_signature_name(clamd):
    verdict = scan(private.EICAR, _clamd(clamd.url))
    assert verdict["scanned"] is True and verdict["infected"] is True
    assert verdict["infectedWith"].startswith("Win.Test.EICAR_")  # HDB or NDB, as clamd picks
    assert verdict["engine"].startswith("ClamAV ")
    assert verdict["scannedAt"].endswith("Z")


def test_eicar_hidden_in_a_jpeg_is_found(clamd):
    verdict = scan(private.photo(private.EICAR), _clamd(clamd.url))
    assert verdict["infected"] is True
    assert verdict["infectedWith"].startswith("Win.Test.EICAR_NDB-1")


def test_a_clean_photo_is_not_infected(clamd):
    verdict = scan(private.photo(), _clamd(clamd.url))
    assert verdict == {**verdict, "scanned": True, "infected": False, "infectedWith": None}
    assert verdict["signatures"] is None  # private signatures only: no database version


def test_over_our_limit_is_not_scanned_and_clamd_is_not_asked():
    verdict = scan(b"x" * 2001, _clamd("unix:///nonexistent/clamd.sock", max_bytes=2000))
    assert verdict["scanned"] is False and verdict["infected"] is None
    assert "limit" in verdict["reason"]


def test_just_over_clamds_stream_limit_is_not_scanned(clamd):
    data = private.EICAR + b"\0" * private.STREAM_MAX_BYTES  # clamd stops reading at its limit
    verdict = scan(data, _clamd(clamd.url))
    assert verdict["scanned"] is False and verdict["infected"] is None
    assert "StreamMaxLength" in verdict["reason"]


@pytest.mark.parametrize("times", [1.001, 1.3, 8])
def test_over_clamds_limit_is_not_scanned_however_far(clamd, times):
    """clamd hangs up while we still send: its answer is read all the same (both sockets)."""
    data = private.EICAR + b"\0" * int(times * private.STREAM_MAX_BYTES)
    for _ in range(5):  # the hang-up races the sending: try it more than once
        verdict = scan(data, _clamd(clamd.url))
        assert verdict["scanned"] is False and verdict["infected"] is None


def test_a_server_hanging_up_without_an_answer_is_unavailable():
    """A cut mid-stream with no answer (clamd died) is retried, never clean."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()

        def take_a_little_and_hang_up() -> None:
            conn, _ = server.accept()
            conn.recv(1024)
            conn.close()

        threading.Thread(target=take_a_little_and_hang_up, daemon=True).start()
        url = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        with pytest.raises(ScanUnavailable):
            scan(b"\0" * (4 * 1024 * 1024), Clamd(url, timeout=5))


def test_clamd_not_listening_is_unavailable(tmp_path):
    with pytest.raises(ScanUnavailable) as caught:
        scan(private.photo(), _clamd(f"unix://{tmp_path}/none.sock"))
    assert caught.value.code == "scan_unavailable"


def test_clamd_stopped_mid_run_is_unavailable(tmp_path):
    running = private.start(tmp_path, tcp=True)
    try:
        assert scan(private.photo(), _clamd(running.url))["infected"] is False
    finally:
        running.stop()
    for url in (running.url, running.tcp_url):
        with pytest.raises(ScanUnavailable):
            scan(private.photo(), _clamd(url))


def test_tcp_url_and_a_silent_server_time_out():
    """tcp:// works the same; a server that never answers is a timeout → unavailable."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        accepted = []
        threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
        with pytest.raises(ScanUnavailable):
            scan(b"data", Clamd(f"tcp://127.0.0.1:{port}", timeout=0.5))
        assert accepted


@pytest.mark.parametrize(
    "text,expected",
    [
        ("ClamAV 1.4.6", ("ClamAV 1.4.6", None, None)),
        (
            "ClamAV 1.4.6/27500/Tue Jan  6 09:30:00 2026",
            ("ClamAV 1.4.6", 27500, "2026-01-06T09:30:00"),
        ),
    ],
)
def test_version_text(text, expected):
    got = parse_version(text)
    assert (got["engine"], got["signatures"], got["signaturesDate"]) == expected


@pytest.mark.parametrize("url", ["http://x", "unix://", "tcp://:3310", "clamd.sock"])
def test_bad_clamd_urls_are_refused(url):
    with pytest.raises(ValueError):
        Clamd(url).client()

"""The pieces of ``exifq dev`` that need no service: the log's live view (``-v``), the
allowlist of ``--serve-dir``, the file server itself, a taken port, passwords kept off screen."""

from __future__ import annotations

import io
import shutil
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from common.fetch.policy import parse_endpoints
from common.settings import load_settings
from exifq.cli import devparts, exiftool_part


def test_verbose_copies_the_log_to_the_terminal_as_it_grows(tmp_path):
    log = tmp_path / "dev.log"
    log.write_text("redis: ready\n")
    shown = io.StringIO()
    with devparts.follow_log(log, shown, enabled=True), log.open("a") as out:
        out.write("gunicorn: booting\n")
        out.flush()
        deadline = time.monotonic() + 5
        while "booting" not in shown.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
        out.write("last words\n")
    assert shown.getvalue() == "redis: ready\ngunicorn: booting\nlast words\n"
    quiet = io.StringIO()
    with devparts.follow_log(log, quiet, enabled=False):
        pass
    assert quiet.getvalue() == ""


def test_the_file_server_is_added_to_the_allowlist_and_nothing_else():
    assert devparts.allowlist_with("", "127.0.0.1:4000") == "127.0.0.1:4000"
    both = devparts.allowlist_with(" 10.0.0.1:80, ", "127.0.0.1:4000")
    assert parse_endpoints(both) == {("10.0.0.1", 80), ("127.0.0.1", 4000)}


def test_the_file_server_serves_its_directory_on_loopback_and_logs_to_the_file(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"jpeg bytes")
    log = io.StringIO()
    with devparts.file_server(tmp_path, log) as endpoint:
        host, port = endpoint.split(":")
        assert host == "127.0.0.1"
        with urllib.request.urlopen(f"http://{endpoint}/a.jpg", timeout=5) as answer:
            assert answer.read() == b"jpeg bytes"
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://{endpoint}/missing.jpg", timeout=5)
    assert '"GET /a.jpg HTTP/1.1" 200' in log.getvalue()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", int(port)), timeout=1)


def test_a_taken_port_is_a_clear_startup_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(devparts.StartupFailed) as caught:
            devparts.check_port("127.0.0.1", port)
    assert caught.value.code == "port_in_use" and "--port picks another" in caught.value.message


def test_a_redis_password_is_not_shown():
    assert devparts.shown_url("redis://:s3cret@cache:6380/1") == "redis://:***@cache:6380/1"
    assert devparts.shown_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def _without_exiftool(tmp_path, monkeypatch) -> Path:
    """PATH holds Perl only; ``bin`` is where an "installer" may put ExifTool."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "perl").symlink_to(shutil.which("perl"))
    monkeypatch.setenv("PATH", str(bin_dir))
    return bin_dir


def test_dev_installs_a_missing_exiftool_then_builds_its_tables(tmp_path, monkeypatch):
    real, ln = shutil.which("exiftool"), shutil.which("ln")
    bin_dir = _without_exiftool(tmp_path, monkeypatch)
    assert real, "tests/run.sh installs ExifTool"
    settings = load_settings(TABLES_DIR=tmp_path / "tables")
    assert settings.exiftool is None
    # the "install": what apt-get would leave, a real ExifTool on PATH
    install = [[ln, "-s", real, str(bin_dir / "exiftool")]]
    lines = []
    log = (tmp_path / "dev.log").open("wb")
    exiftool_part.ensure_tables(
        settings, log, lambda *line: lines.append(line), find_installer=lambda: install
    )
    assert lines[0] == ("exiftool", "not found: installing Debian's libimage-exiftool-perl (once)")
    assert lines[1][0] == "exiftool" and lines[1][1].startswith("ExifTool ")
    assert any((tmp_path / "tables").iterdir())  # built before the worker starts


def test_dev_without_exiftool_or_a_way_to_install_it_says_how(tmp_path, monkeypatch):
    true, false = shutil.which("true"), shutil.which("false")
    _without_exiftool(tmp_path, monkeypatch)
    settings = load_settings(TABLES_DIR=tmp_path / "tables")
    log = (tmp_path / "dev.log").open("wb")
    with pytest.raises(devparts.StartupFailed) as failed:
        exiftool_part.ensure_tables(settings, log, print, find_installer=lambda: None)
    assert failed.value.code == "exiftool_missing"
    assert "apt-get install libimage-exiftool-perl" in failed.value.message
    failing = [[false], [true], [false]]  # install fails, update works, install fails
    with pytest.raises(devparts.StartupFailed, match="installing failed"):
        exiftool_part.ensure_tables(
            settings, log, lambda *line: None, find_installer=lambda: failing
        )

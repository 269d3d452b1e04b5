"""``exifq dev`` in a terminal (a pty), as a person starts it: what the screen shows before
the URL is one line per part and nothing else, the URL comes once the service is ready
(within 120 s, the bound this test states; ``exifq dev`` prints the seconds each part
took), the noise of the parts is in the log file it names, ``--serve-dir`` lets URL jobs
reach its own loopback file server and nothing else, and Ctrl-C stops everything.
"""

from __future__ import annotations

import hashlib
import os
import pty
import re
import select
import sys
import time
from pathlib import Path

import pytest
import requests

from common.settings import child_environment
from tests.conftest import corpus_files, corpus_path
from tests.support.stack import REPO, free_port

pytestmark = pytest.mark.integration

READY_WITHIN = 120.0  # seconds from start to the URL on a loaded 2-core machine
PART = re.compile(r"^  (exiftool|redis|storage|files|clamd|worker|api) +(\S.*)  \((\d+\.\d) s\)$")
KEY = "dev-test-key"
GPS = next(f for f in corpus_files() if f.id == "exiftool/t/images/GPS.jpg")


class Terminal:
    """A process on a pty: what it writes, line by line, as a person would see it."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the pty is its controlling terminal
            os.chdir(cwd)
            os.execve(argv[0], argv, env)
        self.buffer = b""
        self.lines: list[str] = []

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not chunk:
            return False
        self.buffer += chunk
        *complete, self.buffer = self.buffer.split(b"\n")
        self.lines += [line.decode().rstrip("\r") for line in complete]
        return True

    def read_until(self, predicate, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while not any(predicate(line) for line in self.lines):
            if time.monotonic() > deadline:
                raise AssertionError(f"not seen within {timeout} s; screen: {self.lines}")
            if not self._read(0.2):
                raise AssertionError(f"the process ended; screen: {self.lines}")
        return self.lines

    def ctrl_c(self, timeout: float = 60) -> int:
        os.write(self.fd, b"\x03")
        deadline = time.monotonic() + timeout
        while self._read(0.2) and time.monotonic() < deadline:
            pass
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


def test_dev_shows_its_parts_then_the_url_and_serves_local_urls_only(tmp_path):
    port = free_port()
    served = corpus_path("")
    env = child_environment(
        STORAGE="local",
        LOCAL_STORAGE_DIR=tmp_path / "store",
        API_KEYS=KEY,
        PYTHONPATH=REPO,
        TERM="xterm",
    )
    env.pop("REDIS_URL", None)  # a private redis-server of its own
    argv = [sys.executable, "-m", "exifq", "dev", "--port", str(port), "--serve-dir", str(served)]
    started = time.monotonic()
    screen = Terminal(argv, env, tmp_path)
    try:
        url = f"http://127.0.0.1:{port}"
        lines = screen.read_until(lambda line: line.startswith("  logs "), READY_WITHIN)
        to_url = time.monotonic() - started
        print(f"exifq dev: URL after {to_url:.1f} s; {lines}")
        at = lines.index(f"exifq is running at {url}  (Ctrl-C stops it)")
        before, after = lines[:at], lines[at:]
        assert before[-1] == ""
        parts = [PART.match(line) for line in before[:-1]]
        assert all(parts), before
        names = [match.group(1) for match in parts]
        assert names[:5] == ["exiftool", "redis", "storage", "files", "clamd"]
        assert sorted(names[5:]) == ["api", "worker"]
        assert re.fullmatch(r"ExifTool [\d.]+, tag tables in \S+", parts[0].group(2))
        assert parts[4].group(2).startswith("a private clamd at unix://")  # run.sh installs it
        assert parts[1].group(2).startswith("private redis-server on 127.0.0.1:")
        assert parts[2].group(2) == f"local directory {tmp_path / 'store'}"
        log_file = tmp_path / "var" / "log" / "exifq-dev.log"
        assert after == [
            f"exifq is running at {url}  (Ctrl-C stops it)",
            f"  web page   {url}/",
            f"  API docs   {url}/docs/",
            f"  API key    {KEY}",
            f"  logs       {log_file}",
        ]
        assert requests.get(f"{url}/readyz", timeout=10).status_code == 200
        log = log_file.read_text()
        assert "Redis is starting" in log and "Booting worker" in log  # the noise went here

        files = re.search(r"http://127\.0\.0\.1:(\d+)/ serves", parts[3].group(2)).group(1)
        headers = {"X-API-Key": KEY}
        fetched = requests.post(
            f"{url}/api/v1/hash",
            json={"url": f"http://127.0.0.1:{files}/{GPS.id}", "types": "md5", "scan": True},
            params={"wait": 30},
            headers=headers,
            timeout=60,
        ).json()
        assert fetched["status"] == "completed", fetched
        assert fetched["hashes"] == {"md5": hashlib.md5(GPS.data).hexdigest()}
        assert fetched["virusScan"]["scanned"] and fetched["virusScan"]["infected"] is False
        refused = requests.post(
            f"{url}/api/v1/hash",
            json={"url": f"{url}/healthz"},  # loopback too, but not the file server
            params={"wait": 30},
            headers=headers,
            timeout=60,
        )
        assert refused.status_code == 400  # a literal address is checked at submit
        assert refused.json()["code"] == "url_forbidden", refused.text
    finally:
        status = screen.ctrl_c()
    assert status == 0
    assert screen.lines[-1].endswith("stopped")  # after the "^C" the terminal echoes
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/healthz", timeout=2)

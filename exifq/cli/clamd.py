"""A private clamd (ClamAV's daemon) on a unix socket: for ``exifq dev`` and the tests.

``clamd`` comes from Debian's ``clamav-daemon``. The signature database is the
system's (``/var/lib/clamav``, kept current by freshclam) when it holds any,
else one written here that knows only the EICAR test file: as a whole file
(``Win.Test.EICAR_HDB-1``, an MD5 signature in a ``.hdb`` file) and anywhere inside
a file (``Win.Test.EICAR_NDB-1``, a body signature in a ``.ndb`` file), in the formats
of ClamAV's signature documentation ("Hash-based signatures", "Body-based signatures").
Nothing is ever downloaded to start it.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SYSTEM_DATABASE = Path("/var/lib/clamav")
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_HASH_SIGNATURE = f"{hashlib.md5(EICAR).hexdigest()}:{len(EICAR)}:Win.Test.EICAR_HDB-1\n"
EICAR_BODY_SIGNATURE = f"Win.Test.EICAR_NDB-1:0:*:{EICAR.hex()}\n"
START_TIMEOUT = 120.0  # a full official database takes clamd tens of seconds to load


@dataclass
class PrivateClamd:
    """A running clamd: its ``CLAMD_URL``, socket, process and folder."""

    socket_path: Path
    process: subprocess.Popen
    folder: Path
    tcp_port: int | None = None

    @property
    def tcp_url(self) -> str | None:
        return f"tcp://127.0.0.1:{self.tcp_port}" if self.tcp_port else None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def installed() -> str | None:
    """clamd's path, when it is installed."""
    return shutil.which("clamd") or next(
        (str(p) for p in (Path("/usr/sbin/clamd"),) if p.exists()), None
    )


def has_signatures(folder: Path) -> bool:
    return any(folder.glob("*.cvd")) or any(folder.glob("*.cld"))


def write_test_database(folder: Path) -> Path:
    """A database folder whose only signature is EICAR's."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "exifq-test.hdb").write_text(EICAR_HASH_SIGNATURE)
    (folder / "exifq-test.ndb").write_text(EICAR_BODY_SIGNATURE)
    return folder


def _config(folder: Path, database: Path, stream_max_bytes: int, tcp_port: int | None) -> Path:
    lines = [
        f"LocalSocket {folder / 'clamd.sock'}",
        f"DatabaseDirectory {database}",
        f"TemporaryDirectory {folder}",
        f"PidFile {folder / 'clamd.pid'}",
        f"LogFile {folder / 'clamd.log'}",
        "Foreground yes",
        f"StreamMaxLength {stream_max_bytes}",
        "MaxThreads 4",
    ]
    if tcp_port is not None:  # loopback only
        lines += [f"TCPSocket {tcp_port}", "TCPAddr 127.0.0.1"]
    path = folder / "clamd.conf"
    path.write_text("\n".join(lines) + "\n")
    return path


def _answers(path: Path) -> bool:
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(1)
        sock.connect(str(path))
        sock.sendall(b"zPING\0")
        return sock.recv(16).startswith(b"PONG")
    return False


def start(
    folder: Path,
    *,
    database: Path | None = None,
    stream_max_bytes: int = 25 * 1024 * 1024,
    tcp_port: int | None = None,
) -> PrivateClamd:
    """Start clamd in ``folder`` and wait until it answers ``PING`` (on a unix socket, and on
    ``127.0.0.1:tcp_port`` too when given)."""
    binary = installed()
    if binary is None:
        raise RuntimeError("clamd is not installed (Debian: apt-get install clamav-daemon)")
    if database is None:
        database = SYSTEM_DATABASE
        if not has_signatures(database):
            database = write_test_database(folder / "database")
    config = _config(folder, database, stream_max_bytes, tcp_port)
    process = subprocess.Popen(
        [binary, "--config-file", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    clamd = PrivateClamd(folder / "clamd.sock", process, folder, tcp_port)
    deadline = time.monotonic() + START_TIMEOUT
    while not _answers(clamd.socket_path):
        if process.poll() is not None or time.monotonic() > deadline:
            clamd.stop()
            log = folder / "clamd.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"clamd did not start: {tail}")
        time.sleep(0.1)
    return clamd


@contextlib.contextmanager
def running(**kwargs: object) -> Iterator[PrivateClamd]:
    """A private clamd in a temporary folder, stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="exifq-clamd-") as folder:
        clamd = start(Path(folder), **kwargs)  # type: ignore[arg-type]
        try:
            yield clamd
        finally:
            clamd.stop()

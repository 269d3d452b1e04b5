"""The parts ``exifq dev`` runs besides the worker and the API: child processes in their own
process groups, Redis, a loopback file server, and the log file with its live view (``-v``).

Every child writes to the one log file; the terminal only gets the lines
``exifq dev`` prints itself.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, TextIO
from urllib.parse import urlsplit, urlunsplit


class StartupFailed(RuntimeError):
    """A part did not come up; ``code`` names how (``port_in_use``, ``exited``, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check_port(host: str, port: int) -> None:
    """``StartupFailed`` if ``host:port`` cannot be listened on (another server has it)."""
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise StartupFailed(
                "port_in_use",
                f"{host}:{port} is taken ({exc.strerror}): another exifq dev? --port picks another",
            ) from None


class ProcessGroup:
    """Child processes, each the leader of its own process group, stopped together; their
    output goes to ``log``."""

    def __init__(self, log: IO[bytes]) -> None:
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.log = log

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        child = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.children.append((name, child))
        return child

    def exited(self) -> str | None:
        """The name of a child that has exited, if any."""
        return next((name for name, child in self.children if child.poll() is not None), None)

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM every group, wait up to ``grace`` seconds, then SIGKILL what is left."""
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut this short
        for _, child in reversed(self.children):
            _signal_group(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for _, child in reversed(self.children):
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            _signal_group(child.pid, signal.SIGKILL)  # stragglers in the group
            child.wait()


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def wait_until(
    check: Callable[[], bool], timeout: float, children: ProcessGroup, what: str
) -> None:
    """Poll ``check`` every 0.1 s; ``StartupFailed`` if a child exits or time runs out."""
    deadline = time.monotonic() + timeout
    while not check():
        if (name := children.exited()) is not None:
            raise StartupFailed("exited", f"the {name} exited while starting")
        if time.monotonic() > deadline:
            raise StartupFailed("not_ready", f"{what} was not ready after {timeout:g} s")
        time.sleep(0.1)


def shown_url(url: str) -> str:
    """``url`` without its password (a REDIS_URL may carry one)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


@contextlib.contextmanager
def private_redis(configured: str | None, children: ProcessGroup) -> Iterator[tuple[str, str]]:
    """Yield the Redis URL the stack uses and how it came to be: ``configured``
    (``REDIS_URL``) when given, else a private ``redis-server`` on a free port when one is on
    PATH, else an embedded fakeredis server (much slower, and said so)."""
    if configured:
        if not redis_answers(configured):
            raise StartupFailed("redis_unreachable", f"REDIS_URL {shown_url(configured)}")
        yield configured, f"REDIS_URL {shown_url(configured)}"
        return
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    if server_path := shutil.which("redis-server"):
        with tempfile.TemporaryDirectory(prefix="exifq-redis-") as data_dir:
            argv = [server_path, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
            argv += ["--appendonly", "no", "--dir", data_dir, "--loglevel", "warning"]
            children.start("redis-server", argv, dict(os.environ))
            wait_until(lambda: redis_answers(url), 20, children, "redis-server")
            yield url, f"private redis-server on 127.0.0.1:{port}"
        return
    import fakeredis

    server = fakeredis.TcpFakeServer(("127.0.0.1", port), server_type="redis")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield url, "embedded fakeredis: MUCH slower than Redis, install redis-server"
    finally:
        server.shutdown()
        server.server_close()


class _QuietFiles(SimpleHTTPRequestHandler):
    """Serves a directory; its access log goes to the dev log, not the terminal."""

    log: TextIO | None = None

    def log_message(self, format: str, *args: object) -> None:
        if self.log is not None:
            self.log.write(f"files: {self.address_string()} {format % args}\n")
            self.log.flush()


@contextlib.contextmanager
def file_server(directory: Path, log: TextIO) -> Iterator[str]:
    """Serve ``directory`` over HTTP on a free loopback port; yield its ``ip:port``."""
    handler = type("Files", (_QuietFiles,), {"log": log})
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(directory))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def allowlist_with(current: str, endpoint: str) -> str:
    """``URL_TEST_ALLOWLIST`` with ``endpoint`` added (comma-separated ``ip:port``)."""
    entries = [entry.strip() for entry in current.split(",") if entry.strip()]
    return ",".join([*entries, endpoint])


@contextlib.contextmanager
def follow_log(path: Path, out: TextIO, enabled: bool) -> Iterator[None]:
    """With ``enabled`` (``-v``), copy what is written to ``path`` onto ``out`` as it comes."""
    if not enabled:
        yield
        return
    stop = threading.Event()

    def copy() -> None:
        with path.open("r", errors="replace") as log:
            while True:
                line = log.readline()
                if line:
                    out.write(line)
                    out.flush()
                elif stop.is_set():
                    return
                else:
                    time.sleep(0.1)

    thread = threading.Thread(target=copy, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(2)

"""``exifq dev``: the whole service on one machine, stopped together by Ctrl-C.

Redis: ``REDIS_URL`` when it is set; else a private ``redis-server`` on a free
port when one is on PATH; else an embedded fakeredis server (much slower, and
said so). Storage: S3 when ``STORAGE=s3``, else the local directory
``LOCAL_STORAGE_DIR``. Then one worker (with the beat sweeper) and the API
under gunicorn, each in its own process group so that stopping one stops its
children too. The URL is printed once ``/readyz`` answers.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from common.settings import Settings

READY_TIMEOUT = 90.0


def add_arguments(commands: argparse._SubParsersAction) -> None:
    dev = commands.add_parser("dev", help="run Redis, a worker and the API on this machine")
    dev.add_argument("--port", type=int, default=8000, help="the API's port (default 8000)")
    dev.add_argument("--host", default="127.0.0.1", help="the API's address (default 127.0.0.1)")


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def say(message: str) -> None:
    print(f"exifq dev: {message}", file=sys.stderr, flush=True)


class ProcessGroup:
    """Child processes, each the leader of its own process group, stopped together."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        child = subprocess.Popen(argv, env=env, start_new_session=True)
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


def _wait_until(check: Callable[[], bool], timeout: float, children: ProcessGroup) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if (name := children.exited()) is not None:
            raise RuntimeError(f"{name} exited while starting")
        if time.monotonic() > deadline:
            raise RuntimeError("the service did not become ready in time")
        time.sleep(0.2)


def _redis_answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5) as s:
        s.sendall(b"PING\r\n")
        return s.recv(16).startswith(b"+PONG")
    return False


@contextlib.contextmanager
def redis_for_dev(settings: Settings, children: ProcessGroup) -> Iterator[str]:
    """Yield the Redis URL the stack uses, starting a private server when none is configured."""
    if "REDIS_URL" in settings.model_fields_set:
        say(f"using REDIS_URL {settings.REDIS_URL}")
        yield settings.REDIS_URL
        return
    port = free_port()
    if server_path := shutil.which("redis-server"):
        with tempfile.TemporaryDirectory(prefix="exifq-redis-") as data_dir:
            argv = [server_path, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
            argv += ["--appendonly", "no", "--dir", data_dir, "--loglevel", "warning"]
            children.start("redis", argv, child_environment())
            _wait_until(lambda: _redis_answers(port), 20, children)
            say(f"started a private redis-server on port {port}")
            yield f"redis://127.0.0.1:{port}/0"
        return
    import fakeredis

    server = fakeredis.TcpFakeServer(("127.0.0.1", port), server_type="redis")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    say("WARNING: no redis-server on PATH: using an embedded fakeredis server.")
    say("WARNING: it is MUCH SLOWER than Redis; install redis-server for real use.")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.shutdown()
        server.server_close()


def _storage_overrides(settings: Settings) -> dict[str, str]:
    if settings.STORAGE == "s3":
        say(f"using S3 bucket {settings.S3_BUCKET} at {settings.S3_ENDPOINT_URL or 'AWS'}")
        return {}
    directory = settings.LOCAL_STORAGE_DIR.resolve()
    say(f"storing files in {directory}")
    return {"STORAGE": "local", "LOCAL_STORAGE_DIR": str(directory)}


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def child_environment(**overrides: object) -> dict[str, str]:
    from common.settings import child_environment as environment

    return environment(**overrides)


def run(args: argparse.Namespace, settings: Settings) -> int:
    # Also for SIGINT: a shell starting us in the background leaves SIGINT ignored.
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    children = ProcessGroup()
    try:
        with redis_for_dev(settings, children) as redis_url:
            try:
                return _serve(args, settings, redis_url, children)
            finally:
                children.stop()
    except KeyboardInterrupt:
        say("stopped")
        return 0
    except RuntimeError as exc:
        say(f"error: {exc}")
        return 1


def _serve(args: argparse.Namespace, settings: Settings, redis_url: str, children) -> int:
    """Start the worker and the API, print the URL, and wait until one of them exits."""
    url = f"http://{args.host}:{args.port}"
    me = [sys.executable, "-m", "exifq"]
    env = child_environment(REDIS_URL=redis_url, **_storage_overrides(settings))
    if "COMPAT_ADAPTERS" not in settings.model_fields_set:
        env["COMPAT_ADAPTERS"] = "all"  # every drop-in adapter (docs/compat.md)
    children.start("worker", [*me, "worker", "--beat"], env)
    bind = f"{args.host}:{args.port}"
    children.start("api", [*me, "api", "--bind", bind, "--workers", "1"], env)
    _wait_until(lambda: _ready(url), READY_TIMEOUT, children)
    print(f"exifq is running at {url}  (Ctrl-C stops it)", flush=True)
    while (name := children.exited()) is None:
        time.sleep(0.5)
    say(f"{name} exited; stopping everything")
    return 1

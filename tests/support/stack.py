"""Real components for integration tests and ``bench/e2e``: Redis, an S3 server, workers, the API.

- Redis: a private ``redis-server`` on a free port when one is on PATH, else
  the machine's Redis at 127.0.0.1:6379; either way every run uses its own
  key prefix, and only that prefix is ever cleaned.
- S3: moto's server in this process on a loopback port (boto3 in the
  workers speaks HTTP to it); it can be stopped and restarted on the same
  port to make storage unreachable for a while, keeping its objects.
  Presigned URLs are checked as S3 checks them (``presign_gate``).
- Workers and the API: the very commands ``docker-compose.yml`` runs
  (``exifq worker ...``, ``exifq api ...``, read from the file; only the API's
  ``--bind`` differs), as ``python -m exifq ...`` from the repository
  root (``exifq`` is ``exifq.cli:main``), logging to files.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis
import requests
import yaml

from common import heartbeat
from common.settings import child_environment

REPO = Path(__file__).resolve().parents[2]
MACHINE_REDIS = "redis://127.0.0.1:6379/0"


def compose_command(service: str) -> list[str]:
    """The arguments after ``exifq`` that ``docker-compose.yml`` runs for ``service``."""
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    command = compose["services"][service]["command"]
    assert command[0] == "exifq", command
    return command[1:]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], object], timeout: float, what: str, interval: float = 0.1):
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class RedisServer:
    """A private ``redis-server`` (or the machine's Redis when none is installed)."""

    def __init__(self, workdir: Path) -> None:
        self.process: subprocess.Popen | None = None
        binary = shutil.which("redis-server")
        if binary is None:
            self.url = MACHINE_REDIS
            return
        port = free_port()
        argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "no", "--dir", str(workdir), "--loglevel", "warning"]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(self.url)
        wait_for(lambda: _answers(client), 10, "redis-server")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def delete_prefix(url: str, prefix: str) -> None:
    """Delete this run's keys (never anyone else's: no FLUSHALL on a shared Redis)."""
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)


def moto_app():
    """moto's WSGI app for every service (S3 among them); state lives in this process."""
    from moto.server import DomainDispatcherApplication, create_backend_app

    return DomainDispatcherApplication(create_backend_app)


class S3Server:
    """moto's S3 on a loopback port, in a thread of this process (Werkzeug's server).

    It can stop and start again on the same port, keeping its objects: storage
    unreachable for a while. (``bench/e2e`` runs the same app under gunicorn
    instead, which keeps connections alive as MinIO and AWS do.)
    """

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = None

    def start(self) -> S3Server:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log_request(self, *args) -> None:
                pass

        from tests.support.presign_gate import PresignedUrlGate

        app = PresignedUrlGate(moto_app())  # presigned URLs checked as S3 does
        self._server = make_server(
            "127.0.0.1", self.port, app, threaded=True, request_handler=Quiet
        )
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop answering and close the port (connections are refused until ``start``)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@dataclass
class Stack:
    """Settings shared by the processes of one test service, and those processes."""

    redis_url: str
    s3_url: str
    logs: Path
    prefix: str = field(default_factory=lambda: f"exifq-test-{uuid.uuid4().hex[:8]}:")
    bucket: str = field(default_factory=lambda: f"exifq-test-{uuid.uuid4().hex[:8]}")
    overrides: dict = field(default_factory=dict)
    api_url: str = ""
    processes: list[subprocess.Popen] = field(default_factory=list)

    def settings(self, **more: object) -> dict[str, object]:
        """Setting overrides (as environment variables) every process of this stack gets."""
        base = {
            "REDIS_URL": self.redis_url,
            "REDIS_KEY_PREFIX": self.prefix,
            "STORAGE": "s3",
            "S3_ENDPOINT_URL": self.s3_url,
            "S3_BUCKET": self.bucket,
            "S3_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "ALLOW_PRIVATE_URLS": "true",
        }
        return {**base, **self.overrides, **more}

    def env(self, **more: object) -> dict[str, str]:
        return child_environment(**self.settings(**more))

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = (self.logs / f"{name}-{len(self.processes)}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "exifq", *argv],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url, decode_responses=True)

    def live_workers(self) -> int:
        return heartbeat.live_workers(self.redis(), self.prefix, time.time())

    def start_worker(self, concurrency: int | None = None, **more: object) -> subprocess.Popen:
        """The compose file's worker (with ``concurrency`` pool processes instead of the
        file's, if given); returns once it stamped its heartbeat."""
        before = self.live_workers()
        argv = compose_command("worker")
        if concurrency is not None:
            argv[argv.index("--concurrency") + 1] = str(concurrency)
        argv += ["--loglevel", "WARNING"]
        process = self._spawn("worker", argv, self.env(**more))
        wait_for(lambda: self.live_workers() > before or process.poll() is not None, 60, "worker")
        if process.poll() is not None:
            raise RuntimeError(f"worker exited with {process.returncode}; see {self.logs}")
        return process

    def start_api(self, **more: object) -> str:
        """The compose file's API on a free loopback port; its base URL once it answers."""
        port = free_port()
        argv = compose_command("api")
        argv[argv.index("--bind") + 1] = f"127.0.0.1:{port}"
        process = self._spawn("api", argv, self.env(**more))
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _healthy(url) or process.poll() is not None, 60, "API")
        if process.poll() is not None:
            raise RuntimeError(f"API exited with {process.returncode}; see {self.logs}")
        return url

    def kill(self, process: subprocess.Popen, signum: int = signal.SIGKILL) -> None:
        """Signal the process's whole group (Celery's pool children too) and reap it."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)
        process.wait(30)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(20)
            self.kill(process)  # whatever is left in its group
        self.processes.clear()


def finished(api_url: str, body: dict, timeout: float = 60) -> dict:
    """Follow a job's ``statusUrl`` (long polls with ``?wait=``) until it is finished."""
    deadline = time.monotonic() + timeout
    while body.get("status") in ("queued", "processing"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {body['uuid']} still {body['status']} after {timeout} s")
        answer = requests.get(f"{api_url}{body['statusUrl']}", params={"wait": 5}, timeout=30)
        answer.raise_for_status()
        body = answer.json()
    return body


def _proc_fields(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def process_group(leader: int) -> list[int]:
    """The processes in ``leader``'s process group (Celery's pool, gunicorn's workers)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _proc_fields(int(stat.parent.name))
        if fields and int(fields[2]) == leader:
            pids.append(int(stat.parent.name))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by the live processes ``pids``."""
    ticks = sum(int(f[11]) + int(f[12]) for f in map(_proc_fields, pids) if f)
    return ticks / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pids: list[int]) -> float:
    """Sum of the peak resident memory (VmHWM) of the live processes ``pids``."""
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next(int(line.split()[1]) for line in status.splitlines() if "VmHWM" in line)
    return total / 1024


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False

"""Components the fault tests and ``bench/chaos`` break on purpose: each can stop, freeze or die
and come back with its data.

- :class:`PrivateRedis` — a ``redis-server`` of its own, with or without an
  append-only file, that can be SIGKILLed and started again on the same port
  and directory;
- :class:`RabbitVhost` — a private virtual host on the machine's RabbitMQ
  (``RABBITMQ_URL``, default 127.0.0.1:5672 guest/guest), made with ``rabbitmqctl``;
- :class:`RabbitNode` — a RabbitMQ node of its own (a free port, its own
  data directory), to restart without touching the machine's broker;
- :class:`S3Process` — moto's S3 server in a process of its own, which closes
  its port on SIGUSR1 and opens it again on SIGUSR2 (connections refused,
  objects kept) and can be frozen with SIGSTOP (connections accepted, never
  answered);
- :class:`Supervisor` — starts a stack's worker again whenever it exits, as a
  process manager's restart policy does (kombu's Redis transport can stop a
  worker when its broker connection drops: "Unrecoverable error").
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import redis

from tests.support.stack import REPO, Stack, free_port, wait_for

RABBITMQ_URL = os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672")
RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _stop_group(process: subprocess.Popen | None, signum: int, timeout: float = 60) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
    process.wait(timeout)


class PrivateRedis:
    """``redis-server`` on a free port; ``appendfsync`` ``always`` / ``everysec`` turns the
    append-only file on, ``None`` runs it without persistence (the test default)."""

    def __init__(self, workdir: Path, appendfsync: str | None = "always") -> None:
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed (tests/run.sh installs it)")
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.appendfsync = appendfsync
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--dir", str(self.workdir), "--loglevel", "warning"]
        if self.appendfsync:
            argv += ["--appendonly", "yes", "--appendfsync", self.appendfsync]
        else:
            argv += ["--appendonly", "no"]
        log = (self.workdir / "redis.log").open("ab")
        self.process = subprocess.Popen(argv, stdout=log, stderr=log, start_new_session=True)
        client = redis.Redis.from_url(self.url)
        wait_for(lambda: _pings(client), 30, "redis-server to load its data")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no final save."""
        _stop_group(self.process, signal.SIGKILL)

    def restart(self, down_for: float = 0.0) -> None:
        self.kill()
        time.sleep(down_for)
        self.start()

    def stop(self) -> None:
        _stop_group(self.process, signal.SIGTERM)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except (redis.ConnectionError, redis.BusyLoadingError):
        return False


def rabbitmqctl(*args: str, node: str | None = None, env: dict | None = None) -> str:
    """Run ``rabbitmqctl`` (the system's wrapper for the machine's node, ours for our nodes)."""
    binary = str(RABBITMQ_BIN / "rabbitmqctl") if node else shutil.which("rabbitmqctl")
    if binary is None:
        raise RuntimeError("rabbitmqctl is not installed (tests/run.sh installs rabbitmq-server)")
    argv = [binary, *(("-n", node) if node else ()), *args]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stderr or done.stdout}")
    return done.stdout


def machine_rabbitmq_usable() -> bool:
    """Whether the machine's RabbitMQ (``RABBITMQ_URL``) accepts connections and we may make
    virtual hosts on it (``rabbitmqctl`` needs root or the rabbitmq user)."""
    if not _port_open(int(RABBITMQ_URL.rsplit(":", 1)[1].split("/")[0])):
        return False
    try:
        rabbitmqctl("list_vhosts")
    except (RuntimeError, OSError, subprocess.TimeoutExpired):
        return False
    return True


class RabbitVhost:
    """A virtual host of its own on the machine's RabbitMQ, or on ``node`` (a
    :class:`RabbitNode`), deleted by :meth:`delete`."""

    def __init__(self, node: RabbitNode | None = None) -> None:
        self.name = f"exifq-test-{uuid.uuid4().hex[:8]}"
        self.node = node
        self._ctl("add_vhost", self.name)
        self._ctl("set_permissions", "-p", self.name, "guest", ".*", ".*", ".*")
        base = node.url if node else RABBITMQ_URL
        self.url = f"{base.rstrip('/')}/{self.name}"

    def _ctl(self, *args: str) -> str:
        if self.node is None:
            return rabbitmqctl(*args)
        return rabbitmqctl(*args, node=self.node.node, env=self.node.env)

    def delete(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self._ctl("delete_vhost", self.name)


class RabbitNode:
    """A RabbitMQ node of its own: free AMQP and distribution ports, data under ``workdir``.

    Starting one takes 10-20 s on a busy machine; its messages (quorum queues)
    survive :meth:`restart`.
    """

    def __init__(self, workdir: Path) -> None:
        if not (RABBITMQ_BIN / "rabbitmq-server").exists():
            raise RuntimeError("rabbitmq-server is not installed (tests/run.sh installs it)")
        self.workdir = Path(workdir)
        self.port, self.dist_port = free_port(), free_port()
        self.node = f"exifq{uuid.uuid4().hex[:8]}@localhost"
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}//"
        for sub in ("log", "mnesia"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        (self.workdir / "enabled_plugins").write_text("[].\n")
        listener = f"listeners.tcp.local = 127.0.0.1:{self.port}\n"
        (self.workdir / "rabbitmq.conf").write_text(listener)
        (self.workdir / "rabbitmq-env.conf").write_text("")
        cookie = self.workdir / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16).upper())
        cookie.chmod(0o400)
        self.process: subprocess.Popen | None = None
        self.start()

    @property
    def env(self) -> dict[str, str]:
        home = str(self.workdir)
        return {
            **os.environ,
            "HOME": home,
            "RABBITMQ_CONF_ENV_FILE": f"{home}/rabbitmq-env.conf",
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": f"{home}/mnesia",
            "RABBITMQ_LOG_BASE": f"{home}/log",
            "RABBITMQ_CONFIG_FILE": f"{home}/rabbitmq.conf",
            "RABBITMQ_ENABLED_PLUGINS_FILE": f"{home}/enabled_plugins",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def start(self, timeout: float = 120) -> None:
        log = (self.workdir / "server.log").open("ab")
        self.process = subprocess.Popen(
            [str(RABBITMQ_BIN / "rabbitmq-server")],
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(
            lambda: _port_open(self.port) or self.process.poll() is not None,
            timeout,
            "the RabbitMQ node",
            interval=0.2,
        )
        if self.process.poll() is not None:
            raise RuntimeError(f"RabbitMQ exited with {self.process.returncode}: {self.workdir}")

    def stop(self) -> None:
        """A clean shutdown (what a restart by the process manager does)."""
        _stop_group(self.process, signal.SIGTERM, timeout=120)

    def kill(self) -> None:
        _stop_group(self.process, signal.SIGKILL)

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()


class S3Process:
    """moto's S3 in a process of its own (see the module docstring for its signals)."""

    def __init__(self, logs: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log = (Path(logs) / f"s3-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.s3_process", str(self.port)],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait(open_=True)

    def _wait(self, open_: bool) -> None:
        wait_for(lambda: _port_open(self.port) == open_, 30, f"S3 port open={open_}")

    def refuse(self) -> None:
        """Close the port: connections are refused (objects are kept)."""
        self.process.send_signal(signal.SIGUSR1)
        self._wait(open_=False)

    def accept(self) -> None:
        self.process.send_signal(signal.SIGUSR2)
        self._wait(open_=True)

    def freeze(self) -> None:
        """SIGSTOP: the kernel still accepts connections; nothing ever answers."""
        os.killpg(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.killpg(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGCONT)
        _stop_group(self.process, signal.SIGTERM)


class SmallDisk:
    """A directory that can be filled up: a tmpfs of ``size_mib`` mounted on it (as root), or,
    where mounting is impossible, one whose writes can be refused (``chmod``: ``EACCES``
    instead of ``ENOSPC``, the same ``OSError`` path). ``how`` says which."""

    def __init__(self, path: Path, size_mib: int = 8) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.filler = self.path / "filler"
        self.mounted = False
        if os.geteuid() == 0:
            done = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={size_mib}m", "tmpfs", str(self.path)],
                capture_output=True,
            )
            self.mounted = done.returncode == 0
        self.how = f"tmpfs of {size_mib} MiB, filled" if self.mounted else "writes refused (chmod)"

    def fill(self) -> None:
        """No room left (or no write allowed)."""
        if not self.mounted:
            for directory, _, _ in os.walk(self.path):
                os.chmod(directory, 0o555)
            return
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for size in (1024 * 1024, 4096, 1):
                with contextlib.suppress(OSError):  # ENOSPC: go on with smaller writes
                    while os.write(fd, bytes(size)):
                        pass
        finally:
            os.close(fd)

    def free(self) -> None:
        if not self.mounted:
            for directory, _, _ in os.walk(self.path):
                os.chmod(directory, 0o755)
            return
        self.filler.unlink(missing_ok=True)

    def remove(self) -> None:
        self.free()
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True)
            self.mounted = False


class Supervisor:
    """Keeps one worker of ``stack`` running: started again whenever it exits (compose's
    ``restart: unless-stopped``, a Kubernetes restart policy); ``restarts`` counts them."""

    def __init__(self, stack: Stack, worker: subprocess.Popen) -> None:
        self.stack = stack
        self.worker = worker
        self.restarts = 0
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._closing.wait(0.5):
            if self.worker.poll() is not None:
                self.restarts += 1
                with contextlib.suppress(RuntimeError, TimeoutError):
                    self.worker = self.stack.start_worker()

    def wait_for_new_worker(self, old: subprocess.Popen, timeout: float = 120) -> None:
        """Until a worker other than ``old`` runs and has stamped its heartbeat."""
        wait_for(
            lambda: self.worker is not old and self.stack.live_workers() > 0,
            timeout,
            "a new worker",
            interval=0.2,
        )

    def stop(self) -> None:
        self._closing.set()
        self._thread.join()

"""The chaos scenarios: one fault each, on a service of its own (``tests.support.chaos`` runs
them; ``bench/chaos.py`` prints the table).

Every service is the compose file's worker (concurrency 2) and API, a private Redis, and
moto's S3 in a process of its own (or a small local disk), with a 30 s visibility timeout
(``CHAOS_LIMITS``) so that a message a dead worker held on the Redis transport comes back
within the run. RabbitMQ, where a scenario uses it, is a node of its own. A worker that
exits is started again, as the compose file's ``restart: unless-stopped`` and Kubernetes do
(kombu's Redis transport can stop a worker when its broker connection drops); the
restarts are counted.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.support.chaos import Load, Outcome, job_states, outcome, sample_images, settle
from tests.support.components import PrivateRedis, RabbitNode, S3Process, SmallDisk, Supervisor
from tests.support.stack import Stack

CHAOS_LIMITS = {
    "BROKER_VISIBILITY_TIMEOUT": 30,
    "TASK_TIME_LIMIT": 20,
    "TASK_SOFT_TIME_LIMIT": 15,
    "MAX_UPLOAD_BYTES": 1_000_000,
}


@dataclass(frozen=True)
class Timing:
    before: float = 6.0  # steady load before the fault
    during: float = 10.0  # the fault lasts (0: repaired at once, e.g. a restarted worker)
    after: float = 10.0  # load after the repair
    drain: float = 90.0  # the longest wait for the accepted jobs to finish
    rate: float = 8.0  # submissions per second


SHORT = Timing(before=3.0, during=4.0, after=5.0, drain=60.0, rate=6.0)


class Service:
    """The components of one scenario's service, started; :meth:`close` stops them all."""

    def __init__(
        self,
        workdir: Path,
        *,
        broker: str = "redis",
        appendfsync: str | None = "everysec",
        broker_redis: bool = False,
        local_disk: bool = False,
    ) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.redis = PrivateRedis(self.workdir / "redis", appendfsync=appendfsync)
        overrides: dict[str, object] = dict(CHAOS_LIMITS)
        self.s3 = self.disk = self.broker_redis = self.rabbit = None
        if local_disk:
            self.disk = SmallDisk(self.workdir / "disk", size_mib=16)
            overrides |= {"STORAGE": "local", "LOCAL_STORAGE_DIR": str(self.disk.path)}
        else:
            self.s3 = S3Process(self.workdir)
        if broker_redis:
            self.broker_redis = PrivateRedis(self.workdir / "broker", appendfsync="everysec")
            overrides["BROKER_URL"] = self.broker_redis.url
        if broker == "rabbitmq":
            self.rabbit = RabbitNode(self.workdir / "rabbitmq")
            overrides["BROKER_URL"] = self.rabbit.url
        s3_url = self.s3.url if self.s3 else "http://127.0.0.1:9"
        logs = self.workdir / "logs"
        logs.mkdir(exist_ok=True)
        self.stack = Stack(self.redis.url, s3_url, logs, overrides=overrides)
        self.supervisor = Supervisor(self.stack, self.stack.start_worker())
        self.stack.api_url = self.stack.start_api()

    def states(self, ids: list[str]) -> list[dict]:
        return job_states(self.stack.redis(), self.stack.prefix, ids)

    def close(self) -> None:
        self.supervisor.stop()
        if self.s3 is not None:
            self.s3.stop()
        if self.disk is not None:
            self.disk.free()
        self.stack.stop()
        for server in (self.redis, self.broker_redis, self.rabbit):
            if server is not None:
                with contextlib.suppress(Exception):
                    server.kill()
        if self.disk is not None:
            self.disk.remove()


@dataclass(frozen=True)
class Scenario:
    name: str
    build: Callable[[Path], Service]
    inject: Callable[[Service], str]  # makes the fault; says how
    repair: Callable[[Service], None]
    instant: bool = False  # repaired at once (``during`` does not apply)
    loses_jobs: bool = False  # the documented exception: Redis without persistence


def _kill_worker(service: Service) -> str:
    service.killed = service.supervisor.worker
    service.stack.kill(service.killed)
    return "SIGKILL to the worker's process group; restarted by the supervisor"


def _worker_back(service: Service) -> None:
    service.supervisor.wait_for_new_worker(service.killed)


def _kill(server: PrivateRedis) -> str:
    server.kill()
    return "SIGKILL, then started again on the same port and data"


def _disk_full(service: Service) -> str:
    service.disk.fill()
    return service.disk.how


SCENARIOS = (
    Scenario(
        "worker SIGKILL (Redis broker)",
        lambda d: Service(d),
        _kill_worker,
        _worker_back,
        instant=True,
    ),
    Scenario(
        "worker SIGKILL (RabbitMQ broker)",
        lambda d: Service(d, broker="rabbitmq"),
        _kill_worker,
        _worker_back,
        instant=True,
    ),
    Scenario(
        "broker restart (Redis broker of its own, AOF everysec)",
        lambda d: Service(d, broker_redis=True),
        lambda s: _kill(s.broker_redis),
        lambda s: s.broker_redis.start(),
    ),
    Scenario(
        "broker restart (RabbitMQ)",
        lambda d: Service(d, broker="rabbitmq"),
        lambda s: (s.rabbit.stop(), "stopped (SIGTERM), then started on the same data")[1],
        lambda s: s.rabbit.start(),
    ),
    Scenario(
        "Redis restart with AOF everysec (job store and broker)",
        lambda d: Service(d),
        lambda s: _kill(s.redis),
        lambda s: s.redis.start(),
    ),
    Scenario(
        "Redis restart without persistence (job store and broker)",
        lambda d: Service(d, appendfsync=None),
        lambda s: _kill(s.redis),
        lambda s: s.redis.start(),
        loses_jobs=True,
    ),
    Scenario(
        "S3 refusing connections",
        lambda d: Service(d),
        lambda s: (s.s3.refuse(), "port closed, open connections cut")[1],
        lambda s: s.s3.accept(),
    ),
    Scenario(
        "S3 hanging",
        lambda d: Service(d),
        lambda s: (s.s3.freeze(), "SIGSTOP to moto's process")[1],
        lambda s: s.s3.thaw(),
    ),
    Scenario(
        "local disk full",
        lambda d: Service(d, local_disk=True),
        _disk_full,
        lambda s: s.disk.free(),
    ),
)


def run(scenario: Scenario, timing: Timing, workdir: Path) -> Outcome:
    """Build the scenario's service, load it, inject, repair, drain; what became of the jobs."""
    service = scenario.build(workdir)
    try:
        load = Load(service.stack.api_url, sample_images(), timing.rate).start()
        time.sleep(timing.before)
        fault = scenario.inject(service)
        if not scenario.instant:
            time.sleep(timing.during)
        repaired_at = time.time()
        scenario.repair(service)
        time.sleep(timing.after)
        submissions = load.stop()
        accepted = [s for s in submissions if s.status == 202]
        states = settle(service.states, accepted, timing.drain)
        result = outcome(scenario.name, fault, submissions, states, repaired_at)
        result.restarts = service.supervisor.restarts
        return result
    finally:
        service.close()

"""What a worker process's tasks use: settings, job and batch stores, storage, URL loader, clock.

Built once per process on first use (never at import, never in the parent
before it forks its pool), so every pool process has its own connections.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from common.batches import BatchStore
from common.clock import Clock, SystemClock
from common.fetch import Fetched, FetchPolicy, fetch_url
from common.jobs import JobStore
from common.redis_client import redis_client
from common.settings import Settings
from common.storage import Storage, get_storage


def _fetch_with(settings: Settings) -> Callable[[str], Fetched]:
    """``url -> Fetched`` through the SSRF-safe loader, with the policy ``settings`` give."""
    policy = FetchPolicy.from_settings(settings)
    return lambda url: fetch_url(url, policy)


@dataclass
class Runtime:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    name: str = field(default_factory=lambda: f"{socket.gethostname()}/{os.getpid()}")

    @cached_property
    def jobs(self) -> JobStore:
        return JobStore(
            redis_client(self.settings),
            prefix=self.settings.REDIS_KEY_PREFIX,
            ttl=self.settings.RESULT_TTL_SECONDS,
            clock=self.clock,
        )

    @cached_property
    def batches(self) -> BatchStore:
        return BatchStore(self.jobs)

    @cached_property
    def send_task(self) -> Callable[[str, list], None]:
        """``(task name, args) -> None``: send a task to the workers' queue."""
        from worker.app import app, task_sender

        return task_sender(app)

    @cached_property
    def storage(self) -> Storage:
        return get_storage(self.settings)

    @cached_property
    def fetch(self) -> Callable[[str], Fetched]:
        return _fetch_with(self.settings)


_runtimes: dict[int, Runtime] = {}


def runtime_for(settings: Settings) -> Runtime:
    """This process's runtime for ``settings`` (a new one after a fork)."""
    key = os.getpid()
    if key not in _runtimes or _runtimes[key].settings is not settings:
        _runtimes.clear()
        _runtimes[key] = Runtime(settings)
    return _runtimes[key]

"""What a worker process's tasks use: settings, job and batch stores, storage, URL loader, clock,
and the Celery app to send further tasks with.

Built once per process on first use (never at import, never in the parent
before it forks its pool), so every pool process has its own connections.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

from common.batches import BatchStore
from common.clock import Clock, SystemClock
from common.fetch import Fetched, FetchPolicy, fetch_url, post
from common.jobs import JobStore
from common.redis_client import redis_client
from common.settings import Settings
from common.storage import Storage, get_storage
from common.webhook_queue import WebhookQueue

if TYPE_CHECKING:
    from celery import Celery


def _fetch_with(settings: Settings) -> Callable[[str], Fetched]:
    """``url -> Fetched`` through the SSRF-safe loader, with the policy ``settings`` give."""
    policy = FetchPolicy.from_settings(settings)
    return lambda url: fetch_url(url, policy)


@dataclass
class Runtime:
    settings: Settings
    celery: Celery | None = None  # the app that sends further tasks (``send_task``)
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
        from worker.app import task_sender

        return task_sender(self.celery)

    @cached_property
    def storage(self) -> Storage:
        return get_storage(self.settings)

    @cached_property
    def fetch(self) -> Callable[[str], Fetched]:
        return _fetch_with(self.settings)

    @cached_property
    def webhooks(self) -> WebhookQueue:
        return WebhookQueue(self.jobs.redis, self.jobs.prefix)

    @cached_property
    def post(self) -> Callable[[str, bytes, dict[str, str]], int]:
        """``(url, body, headers) -> HTTP status`` through the SSRF-safe loader (webhooks)."""
        policy = replace(
            FetchPolicy.from_settings(self.settings),
            timeout=self.settings.WEBHOOK_TIMEOUT,
            max_redirects=0,
        )
        return lambda url, body, headers: post(url, body, headers, policy)


_runtimes: dict[int, Runtime] = {}


def runtime_for(celery: Celery) -> Runtime:
    """This process's runtime for the Celery app ``celery`` (a new one after a fork)."""
    key = os.getpid()
    found = _runtimes.get(key)
    if found is None or found.celery is not celery:
        _runtimes.clear()
        _runtimes[key] = Runtime(celery.exifq_settings, celery)
    return _runtimes[key]

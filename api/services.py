"""The API's dependencies, built from settings unless a test passes its own."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from common.batches import BatchStore
from common.clock import Clock
from common.jobs import JobStore
from common.keys import KeyStore
from common.settings import Settings
from common.storage import Storage
from common.tasks import PROCESS_TASK


@dataclass(frozen=True)
class Services:
    settings: Settings
    jobs: JobStore
    storage: Storage
    enqueue: Callable[[str], None]  # sends the job's task to the workers
    clock: Clock
    send_task: Callable[[str, list], None]  # sends any task by name: (name, args)
    # The Redis commands that deliver a task, to run in the job store's own transaction
    # (``worker.enqueue``); ``None`` from it (or as the field) when the broker cannot.
    task_commands: Callable[[str, list], list | None] | None = None

    @property
    def batches(self) -> BatchStore:
        return BatchStore(self.jobs, self.clock)

    @property
    def keys(self) -> KeyStore:
        """The managed API keys (``common.keys``), beside the jobs in Redis; the marker cached
        by the process's listener (``common.completions``)."""
        return KeyStore(self.jobs.redis, self.jobs.prefix, self.clock, self.jobs.completions)


def services() -> Services:
    """The running app's services."""
    return current_app.extensions["exifq"]


class CeleryTasks:
    """Sends tasks through the broker, or names the Redis commands that would (see
    ``worker.enqueue``). The Celery app is built on first use (the API imports no Celery app
    until it needs one) and connects then."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._built: tuple | None = None
        self._lock = threading.Lock()

    def _build(self) -> tuple:
        if self._built is None:
            with self._lock:
                if self._built is None:
                    from worker.app import create_celery, task_sender
                    from worker.enqueue import task_commands

                    celery = create_celery(self.settings)
                    self._built = (task_sender(celery), task_commands(celery))
        return self._built

    def send(self, name: str, args: list) -> None:
        """Send task ``name`` with ``args``."""
        self._build()[0](name, args)

    def commands(self, name: str, args: list) -> list | None:
        """The Redis commands that deliver the task, or ``None`` when the broker is not the
        job store's Redis."""
        commands = self._build()[1]
        return None if commands is None else commands(name, args)


def celery_sender(settings: Settings) -> Callable[[str, list], None]:
    """``(task name, args) -> None`` through the broker (see :class:`CeleryTasks`)."""
    return CeleryTasks(settings).send


def job_enqueuer(send_task: Callable[[str, list], None]) -> Callable[[str], None]:
    """Send ``exifq.process(job_id)``."""
    return lambda job_id: send_task(PROCESS_TASK, [job_id])

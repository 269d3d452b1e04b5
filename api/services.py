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

    @property
    def batches(self) -> BatchStore:
        return BatchStore(self.jobs, self.clock)

    @property
    def keys(self) -> KeyStore:
        """The managed API keys (``common.keys``), beside the jobs in Redis."""
        return KeyStore(self.jobs.redis, self.jobs.prefix, self.clock)


def services() -> Services:
    """The running app's services."""
    return current_app.extensions["exifq"]


def celery_sender(settings: Settings) -> Callable[[str, list], None]:
    """``(task name, args) -> None`` through the broker. The Celery app is built on the first
    send (the API imports no Celery app until it needs one) and connects then."""
    sender: list[Callable[[str, list], None]] = []
    lock = threading.Lock()

    def send(name: str, args: list) -> None:
        if not sender:
            with lock:
                if not sender:
                    from worker.app import create_celery, task_sender

                    sender.append(task_sender(create_celery(settings)))
        sender[0](name, args)

    return send


def job_enqueuer(send_task: Callable[[str, list], None]) -> Callable[[str], None]:
    """Send ``exifq.process(job_id)``."""
    return lambda job_id: send_task(PROCESS_TASK, [job_id])

"""The API's dependencies, built from settings unless a test passes its own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from common.batches import BatchStore
from common.clock import Clock
from common.jobs import JobStore
from common.settings import Settings
from common.storage import Storage
from worker.app import PROCESS_TASK, create_celery, task_sender


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


def services() -> Services:
    """The running app's services."""
    return current_app.extensions["exifq"]


def celery_sender(settings: Settings) -> Callable[[str, list], None]:
    """``(task name, args) -> None`` through the broker (connects on the first send)."""
    return task_sender(create_celery(settings))


def job_enqueuer(send_task: Callable[[str, list], None]) -> Callable[[str], None]:
    """Send ``exifq.process(job_id)``."""
    return lambda job_id: send_task(PROCESS_TASK, [job_id])

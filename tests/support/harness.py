"""An in-process service for unit tests: the Flask app and the pipeline over fakeredis and a
local directory, with a manual clock. The integration tests use real components instead."""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass, field
from pathlib import Path

import fakeredis

from api import create_app
from common.clock import ManualClock
from common.jobs import JobStore
from common.settings import Settings, load_settings
from common.storage.local import LocalStorage
from common.tasks import CHUNK_TASK
from worker import pipeline
from worker.runtime import Runtime


@dataclass
class Harness:
    settings: Settings
    clock: ManualClock
    jobs: JobStore
    storage: LocalStorage
    sent: list[str] = field(default_factory=list)  # job UUIDs whose task (or chunk) was sent
    tasks: list[tuple[str, list]] = field(default_factory=list)  # other tasks: (name, args)
    fetched: dict[str, object] = field(default_factory=dict)  # url → Fetched or exception

    def __post_init__(self) -> None:
        self.app = create_app(
            self.settings,
            jobs_store=self.jobs,
            storage=self.storage,
            enqueue=self.sent.append,
            send_task=self._send_task,
            clock=self.clock,
        )
        self.client = self.app.test_client()

    def set_enqueue(self, enqueue) -> None:
        """Replace what the API calls to send a job's task."""
        services = self.app.extensions["exifq"]
        self.app.extensions["exifq"] = dataclasses.replace(services, enqueue=enqueue)

    def _send_task(self, name: str, args: list) -> None:
        if name == CHUNK_TASK:  # a chunk of a batch's jobs: each job's task, sent together
            self.sent.extend(args[0])
            return
        self.tasks.append((name, args))

    def runtime(self) -> Runtime:
        rt = Runtime(self.settings, clock=self.clock, name="test/1")
        rt.jobs, rt.storage, rt.fetch = self.jobs, self.storage, self._fetch
        rt.send_task = self._send_task
        return rt

    def _fetch(self, url: str):
        outcome = self.fetched[url]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def process(self, job_id: str) -> str:
        """What a worker does with the job's message."""
        return pipeline.process(self.runtime(), job_id)

    def post(self, op: str, data: bytes, name: str = "image.jpg", **kwargs):
        files = {"file": (io.BytesIO(data), name)}
        return self.client.post(f"/api/v1/{op}", data=files, **kwargs)


def make_harness(tmp_path: Path, **settings: object) -> Harness:
    clock = ManualClock()
    config = load_settings(LOCAL_STORAGE_DIR=tmp_path / "store", **settings)
    store = JobStore(
        fakeredis.FakeRedis(decode_responses=True),
        prefix="t:",
        ttl=config.RESULT_TTL_SECONDS,
        clock=clock,
    )
    storage = LocalStorage(config.LOCAL_STORAGE_DIR)
    storage.ensure_ready()
    return Harness(config, clock, store, storage)

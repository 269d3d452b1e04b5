"""Real exchanges with the service, for the OpenAPI document's examples and its checks.

The in-process harness (``tests.support.harness``: the Flask app and the worker pipeline
over fakeredis and a local directory, the real operations on corpus files, a private
clamd) is driven through every route and every status that can be provoked in-process:
completed, queued and failed jobs, batches, similarity jobs, the drop-in adapters, and
the errors (bad parameters, wrong keys, too large, not an image, unknown UUIDs, rate
limits, Redis away). Each answer is recorded as an :class:`Exchange`; those named
``example`` become ``api/openapi/examples/<name>.json`` (``tests.support.openapi_examples``).

Runs are deterministic: UUIDs come from a counter (``uuid.uuid4`` is patched), the clock
stands at :data:`START`, the virus scan's time is the clock's; the only value rewritten
afterwards is Ximilar's measured ``processing time`` (:data:`VOLATILE`).
"""

from __future__ import annotations

import io
import itertools
import json
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import fakeredis

from common.clock import ManualClock, isoformat
from common.jobs import JobStore
from common.settings import load_settings
from common.storage.local import LocalStorage
from common.tasks import ANSWER_TASK, CHUNK_TASK
from tests.conftest import corpus_path
from tests.support.harness import Harness
from worker import answering, chunks

START = 1_735_689_600.0  # 2025-01-01T00:00:00Z
VOLATILE = {"processing time": 0.0}  # measured durations: set to this value
PHOTO = "exif-samples/jpg/Kodak_CX7530.jpg"  # Kodak, EXIF with GPS, 100 × 78
FACE = "Pillow/Tests/images/hopper_orientation_6.webp"  # WebP, EXIF orientation 6, a face
PNG = "Pillow/Tests/images/exif.png"
OTHER = "exif-samples/jpg/hdr/iphone_hdr_YES.jpg"  # Apple, GPS, another scene
REMOTE = "http://images.test/kodak.jpg"  # the harness "fetches" it (Harness.fetched)


@dataclass
class Exchange:
    """One request and the answer the service gave."""

    method: str
    path: str
    status: int
    media: str  # the Content-Type without parameters
    headers: dict[str, str]
    body: object  # parsed JSON, or None for other types
    example: str | None = None
    summary: str = ""


class ScenarioHarness(Harness):
    """A harness whose tasks run at once when ``inline`` (jobs when sent, a similarity job's
    answer when asked for), so that a request that waits sees its job finish."""

    inline: bool = False

    def _send_task(self, name: str, args: list) -> None:
        if self.inline and name == ANSWER_TASK:
            answering.answer(self.runtime(), *args)
        elif self.inline and name == CHUNK_TASK:  # a batch's jobs, as the workers run them
            chunks.run_chunk(
                self.runtime(), args[0], delivery=1, seconds=60.0, hand_over=self.sent.extend
            )
        else:
            super()._send_task(name, args)

    def enqueue(self, job_id: str) -> None:
        if self.inline:
            self.process(job_id)
        else:
            self.sent.append(job_id)

    def run_queued(self) -> None:
        """What the workers would do with everything sent so far."""
        while self.sent:
            self.process(self.sent.pop(0))
        while self.tasks:
            name, args = self.tasks.pop(0)
            if name == ANSWER_TASK:
                answering.answer(self.runtime(), *args)


def harness(folder: Path, *, inline: bool = False, **settings: object) -> ScenarioHarness:
    """A :class:`ScenarioHarness` over fakeredis and ``folder``, its clock at :data:`START`."""
    clock = ManualClock(START)
    settings = {"COMPAT_ADAPTERS": "all", **settings}
    config = load_settings(LOCAL_STORAGE_DIR=folder / "store", **settings)
    server = fakeredis.FakeServer()
    store = JobStore(
        fakeredis.FakeRedis(server=server, decode_responses=True),
        prefix="t:",
        ttl=config.RESULT_TTL_SECONDS,
        clock=clock,
    )
    storage = LocalStorage(config.LOCAL_STORAGE_DIR)
    storage.ensure_ready()
    found = ScenarioHarness(config, clock, store, storage)
    found.inline = inline
    found.set_enqueue(found.enqueue)
    found.redis_server = server
    return found


@dataclass
class Recorder:
    """Sends requests through a harness's client and keeps every exchange."""

    exchanges: list[Exchange] = field(default_factory=list)

    def call(
        self,
        h: Harness,
        method: str,
        url: str,
        example: str | None = None,
        summary: str = "",
        **kwargs: object,
    ):
        response = h.client.open(url, method=method, **kwargs)
        media = (response.content_type or "").split(";")[0].strip()
        body = response.get_json(silent=True) if media == "application/json" else None
        self.exchanges.append(
            Exchange(
                method.lower(),
                urlsplit(url).path,
                response.status_code,
                media,
                dict(response.headers),
                _normalised(body),
                example,
                summary,
            )
        )
        return response


def _normalised(value: object) -> object:
    if isinstance(value, dict):
        return {
            key: VOLATILE[key] if key in VOLATILE else _normalised(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_normalised(item) for item in value]
    return value


def data(relative: str) -> bytes:
    return corpus_path(relative).read_bytes()


def upload(relative: str, name: str | None = None, **fields: object) -> dict:
    """A multipart body: the corpus file as ``file``, and ``fields``."""
    return {"file": (io.BytesIO(data(relative)), name or Path(relative).name), **fields}


@contextmanager
def deterministic(group: int) -> Iterator[None]:
    """UUIDs from a counter of their own (``group`` is in each: a scenario added to one group
    changes no other group's UUIDs), and the virus scan's time from the fixed clock."""
    counter = itertools.count(1)

    def next_uuid() -> uuid.UUID:
        return uuid.UUID(f"00000000-0000-4000-8000-{group:04d}{next(counter):08d}")

    with ExitStack() as stack:
        stack.enter_context(mock.patch("uuid.uuid4", next_uuid))
        stack.enter_context(mock.patch("common.clamav._utc_now", lambda: isoformat(START)))
        yield


def run(folder: Path, clamd_url: str) -> list[Exchange]:
    """Every scenario, in order; the exchanges they recorded."""
    from tests.support import openapi_scenarios_adapters as adapters
    from tests.support import openapi_scenarios_errors as errors
    from tests.support import openapi_scenarios_native as native

    wait = {"COMPAT_WAIT_SECONDS": 0.01}
    groups = [
        (native.finished, {"inline": True, "CLAMD_URL": clamd_url}),
        (native.queued, wait),
        (adapters.finished, {"inline": True, "CLAMD_URL": clamd_url}),
        (adapters.queued, wait),
        (native.video, {"inline": True}),
    ]
    recorder = Recorder()
    for group, (scenario, settings) in enumerate(groups, 1):
        with deterministic(group):
            scenario(recorder, harness(folder / str(group), **settings))
    with deterministic(len(groups) + 1):
        errors.run(recorder, folder / "errors")
    return recorder.exchanges


def examples(exchanges: list[Exchange], spec: dict) -> dict[str, dict]:
    """The named exchanges as stored examples, each with its route's path template."""
    from tests.support.openapi_check import find_operation

    found = {}
    for exchange in exchanges:
        if exchange.example is None:
            continue
        path, _ = find_operation(spec, exchange)
        found[exchange.example] = {
            "summary": exchange.summary,
            "path": path,
            "method": exchange.method,
            "status": exchange.status,
            "mediaType": exchange.media,
            "value": exchange.body,
        }
    return found


def dumps(example: dict) -> str:
    return json.dumps(example, indent=1, ensure_ascii=False) + "\n"

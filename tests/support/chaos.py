"""The chaos harness: a steady load of jobs against a real service while one fault is injected,
then what became of every job (``bench/chaos.py`` and its short form in the tests).

A run: ``before`` seconds of steady load, the fault (``inject``), ``during`` seconds of
load with the fault on, the repair, ``after`` seconds of load, then the drain: every
accepted job is followed in the job store until it finishes or ``drain`` seconds pass.
Each submission is an extract of a small JPEG, sent at ``rate`` per second from a
pool of threads (a request blocked by the fault does not slow the load).

The figures: *accepted* (202), *refused* (any other answer or no answer: the
client was told), *completed*, *failed* (the job ended ``failed``), *lost*
(accepted, and neither completed nor failed by the end of the drain: a record gone
or a job stuck), *resumed* (seconds from the repair to the first job completed
after it) and *drained* (seconds from the repair until every job accepted before
it had finished).
"""

from __future__ import annotations

import io
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
from PIL import Image

from common.jobs import TERMINAL

TIMEOUT = 20.0  # a client's patience with one submission


def sample_images(count: int = 6) -> list[bytes]:
    """Small JPEGs with a little EXIF (made here: the suite needs no corpus)."""
    images = []
    for index in range(count):
        exif = Image.Exif()
        exif[0x010F] = "exifq chaos"  # Make
        exif[0x0110] = f"model {index}"  # Model
        out = io.BytesIO()
        Image.new("RGB", (64 + 16 * index, 48), (40 * index, 80, 160)).save(
            out, "JPEG", exif=exif, quality=80
        )
        images.append(out.getvalue())
    return images


@dataclass
class Submission:
    sent_at: float  # time.time()
    status: int  # HTTP status, 0 when no answer came
    uuid: str | None = None


@dataclass
class Load:
    """Steady submissions to ``api_url`` until :meth:`stop`."""

    api_url: str
    images: list[bytes]
    rate: float = 8.0
    submissions: list[Submission] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=32)
        self._thread = threading.Thread(target=self._run, name="chaos-load", daemon=True)
        self._lock = threading.Lock()

    def start(self) -> Load:
        self._thread.start()
        return self

    def _run(self) -> None:
        index, interval = 0, 1.0 / self.rate
        next_at = time.monotonic()
        while not self._stop.is_set():
            self._pool.submit(self._submit, self.images[index % len(self.images)])
            index += 1
            next_at += interval
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def _submit(self, data: bytes) -> None:
        sent_at = time.time()
        try:
            answer = requests.post(
                f"{self.api_url}/api/v1/extract",
                files={"file": ("chaos.jpg", data)},
                timeout=TIMEOUT,
            )
            status = answer.status_code
            job = answer.json().get("uuid") if status == 202 else None
        except (requests.RequestException, ValueError):
            status, job = 0, None
        with self._lock:
            self.submissions.append(Submission(sent_at, status, job))

    def stop(self) -> list[Submission]:
        self._stop.set()
        self._thread.join()
        self._pool.shutdown(wait=True)
        return sorted(self.submissions, key=lambda s: s.sent_at)


@dataclass
class Outcome:
    scenario: str
    fault: str  # how the fault was made
    accepted: int
    refused: int
    completed: int
    failed: int
    lost: int
    resumed: float | None
    drained: float | None
    failures: Counter = field(default_factory=Counter)  # error code -> jobs
    restarts: int = 0  # the worker exited and was started again

    @property
    def row(self) -> list[str]:
        def seconds(value: float | None) -> str:
            return "-" if value is None else f"{value:.1f}"

        return [
            self.scenario,
            str(self.accepted),
            str(self.refused),
            str(self.completed),
            str(self.failed),
            str(self.lost),
            seconds(self.resumed),
            seconds(self.drained),
        ]


HEADER = [
    *("scenario", "accepted", "refused", "completed", "failed", "lost"),
    *("resumed s", "drained s"),
]


def table(outcomes: list[Outcome]) -> str:
    """A Markdown table of the outcomes."""
    rows = [HEADER, ["---"] * len(HEADER), *(o.row for o in outcomes)]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def job_states(client, prefix: str, ids: list[str]) -> list[dict]:
    pipe = client.pipeline(transaction=False)
    for job_id in ids:
        pipe.hmget(f"{prefix}job:{job_id}", "status", "finished_at", "error")
    return [
        {"status": status, "finished_at": float(done) if done else None, "error": error}
        for status, done, error in pipe.execute()
    ]


def settle(
    read: Callable[[list[str]], list[dict]], accepted: list[Submission], drain: float
) -> list[dict]:
    """The accepted jobs' states once all are finished, or as they stand after ``drain`` s."""
    ids = [s.uuid for s in accepted]
    deadline = time.monotonic() + drain
    while True:
        try:
            states = read(ids)
        except Exception:  # the job store itself may still be coming back
            states = None
        # A job is settled once finished, or when its record is gone (it never comes back).
        if states is not None and all(st["status"] in (*TERMINAL, None) for st in states):
            return states
        if time.monotonic() > deadline:
            return states or [{"status": None, "finished_at": None, "error": None}] * len(ids)
        time.sleep(0.5)


def outcome(
    scenario: str,
    fault: str,
    submissions: list[Submission],
    states: list[dict],
    repaired_at: float,
) -> Outcome:
    accepted = [s for s in submissions if s.status == 202]
    completed = [
        (s, st) for s, st in zip(accepted, states, strict=True) if st["status"] == "completed"
    ]
    failed = [st for st in states if st["status"] == "failed"]
    failures = Counter(_code(st["error"]) for st in failed)
    after = [st["finished_at"] for _, st in completed if st["finished_at"] > repaired_at]
    before = [st for s, st in zip(accepted, states, strict=True) if s.sent_at <= repaired_at]
    drained = None
    if all(st["status"] in TERMINAL for st in before):
        ends = [st["finished_at"] or repaired_at for st in before]
        drained = max([*ends, repaired_at]) - repaired_at
    return Outcome(
        scenario,
        fault,
        accepted=len(accepted),
        refused=len(submissions) - len(accepted),
        completed=len(completed),
        failed=len(failed),
        lost=len(accepted) - len(completed) - len(failed),
        resumed=min(after) - repaired_at if after else None,
        drained=drained,
        failures=failures,
    )


def _code(error: str | None) -> str:
    import json

    try:
        return json.loads(error)["code"]
    except (TypeError, ValueError, KeyError):
        return "?"

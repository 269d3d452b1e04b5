"""The job store: one Redis hash per job, living ``RESULT_TTL_SECONDS`` from its creation.

Status only moves forward — ``queued → processing → completed | failed`` —
and a finished job never changes again, so a task that Celery delivers twice
(``acks_late``) cannot undo what the first delivery decided. Each transition
is a WATCH/MULTI transaction on the job's key (no Lua, so it also runs on
fakeredis). Finishing publishes on the job's channel, which is what
``wait()`` (the API's ``?wait=N``) blocks on instead of polling; the message
may carry a small result (a "notice") so the waiter need not fetch it from
object storage.

``deliveries`` counts how often a worker started the job's current attempt;
the worker fails the job as ``worker_lost`` when a message keeps killing its
worker instead of letting it loop forever.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
import uuid as uuid_module
from dataclasses import asdict, dataclass, field

import redis

from common.clock import Clock, SystemClock

QUEUED, PROCESSING, COMPLETED, FAILED = "queued", "processing", "completed", "failed"
TERMINAL = frozenset({COMPLETED, FAILED})

_JSON_FIELDS = ("options", "error")
_FLOAT_FIELDS = ("created_at", "updated_at", "expires_at", "finished_at")
_INT_FIELDS = ("deliveries", "size")


@dataclass(frozen=True)
class Job:
    """What the store knows about one job."""

    uuid: str
    op: str  # "extract" | "remove" | "hash"
    status: str
    created_at: float
    expires_at: float
    updated_at: float
    options: dict = field(default_factory=dict)
    owner: str = ""  # hash of the API key that created it ("" when the service is open)
    source: str = "upload"  # "upload" | "url"
    file_name: str = ""
    url: str | None = None
    size: int | None = None
    deliveries: int = 0
    worker: str | None = None
    error: dict | None = None
    result_key: str | None = None
    cleaned_key: str | None = None
    finished_at: float | None = None

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL


def upload_key(job_id: str) -> str:
    return f"uploads/{job_id}"


def result_key(job_id: str) -> str:
    return f"results/{job_id}.json"


def cleaned_key(job_id: str, file_name: str) -> str:
    """Where a job's cleaned file lives; the name reduced to characters safe in any store."""
    return f"cleaned/{job_id}/{safe_name(file_name)}"


def safe_name(file_name: str, default: str = "image") -> str:
    """``file_name`` without directories, in ASCII letters, digits, ``._-`` (at most 100)."""
    base = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    ascii_name = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._")[-100:].lstrip("._")
    return cleaned or default


# Everything a job leaves in storage lives under one of these prefixes.
STORAGE_PREFIXES = ("uploads/", "results/", "cleaned/")


def _encode(values: dict) -> dict[str, str]:
    out = {}
    for name, value in values.items():
        if value is None:
            continue
        out[name] = json.dumps(value) if name in _JSON_FIELDS else str(value)
    return out


def _decode(raw: dict[str, str]) -> Job:
    values: dict = dict(raw)
    for name in _JSON_FIELDS:
        if name in values:
            values[name] = json.loads(values[name])
    for name in _FLOAT_FIELDS:
        if name in values:
            values[name] = float(values[name])
    for name in _INT_FIELDS:
        if name in values:
            values[name] = int(values[name])
    known = Job.__dataclass_fields__
    return Job(**{name: value for name, value in values.items() if name in known})


class JobStore:
    """Job records in Redis under ``{prefix}job:{uuid}``."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "exifq:",
        ttl: int = 86_400,
        clock: Clock | None = None,
    ) -> None:
        self.redis = client
        self.prefix = prefix
        self.ttl = ttl
        self.clock = clock or SystemClock()

    def key(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"

    def channel(self, job_id: str) -> str:
        return f"{self.prefix}job-finished:{job_id}"

    def create(
        self,
        op: str,
        *,
        options: dict,
        owner: str = "",
        source: str = "upload",
        file_name: str = "",
        url: str | None = None,
        size: int | None = None,
        job_id: str | None = None,
    ) -> Job:
        """Write a new ``queued`` job that expires ``ttl`` seconds from now."""
        now = self.clock.now()
        job = Job(
            uuid=job_id or str(uuid_module.uuid4()),
            op=op,
            status=QUEUED,
            created_at=now,
            updated_at=now,
            expires_at=now + self.ttl,
            options=options,
            owner=owner,
            source=source,
            file_name=file_name,
            url=url,
            size=size,
        )
        key = self.key(job.uuid)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, mapping=_encode(asdict(job)))
        pipe.expire(key, self.ttl)
        pipe.execute()
        return job

    def get(self, job_id: str) -> Job | None:
        raw = self.redis.hgetall(self.key(job_id))
        return _decode(raw) if raw else None

    def delete(self, job_id: str) -> None:
        self.redis.delete(self.key(job_id))

    def start(self, job_id: str, worker: str) -> Job | None:
        """Mark the job ``processing`` and count the delivery; a finished job is left as it is.

        Returns the job as it now stands, or ``None`` when it does not exist (expired).
        """

        def transition(pipe: redis.client.Pipeline) -> None:
            status = pipe.hget(key, "status")
            if status is None or status in TERMINAL:
                return
            pipe.multi()
            pipe.hset(key, mapping={"status": PROCESSING, "worker": worker, "updated_at": now})
            pipe.hincrby(key, "deliveries", 1)

        key, now = self.key(job_id), self.clock.now()
        self.redis.transaction(transition, key)
        return self.get(job_id)

    def reset_deliveries(self, job_id: str) -> None:
        """Start counting deliveries afresh (the task scheduled a retry: it did not crash)."""
        self._update_unfinished(job_id, {"deliveries": 0})

    def complete(
        self,
        job_id: str,
        result_key: str,
        cleaned_key: str | None = None,
        *,
        file_name: str | None = None,
        notice: str = "",
    ) -> bool:
        """Mark the job ``completed``; ``False`` if it was already finished (or is gone).

        ``notice`` goes to whoever ``wait()``s on the job at that moment, nowhere else.
        """
        fields = {"result_key": result_key, "cleaned_key": cleaned_key, "file_name": file_name}
        return self._finish(job_id, COMPLETED, fields, notice)

    def fail(self, job_id: str, error: dict) -> bool:
        """Mark the job ``failed`` with ``{"code", "message"}``; ``False`` if already finished."""
        return self._finish(job_id, FAILED, {"error": error})

    def _finish(self, job_id: str, status: str, fields: dict, notice: str = "") -> bool:
        now = self.clock.now()
        moved = self._update_unfinished(
            job_id, {**fields, "status": status, "updated_at": now, "finished_at": now}
        )
        if moved:
            self.redis.publish(self.channel(job_id), f"{status}\n{notice}")
        return moved

    def _update_unfinished(self, job_id: str, fields: dict) -> bool:
        """Set ``fields`` unless the job is finished or missing; whether it was set."""

        def transition(pipe: redis.client.Pipeline) -> bool:
            status = pipe.hget(key, "status")
            if status is None or status in TERMINAL:
                return False
            pipe.multi()
            pipe.hset(key, mapping=_encode(fields))
            return True

        key = self.key(job_id)
        return self.redis.transaction(transition, key, value_from_callable=True)

    def wait(self, job_id: str, timeout: float) -> tuple[Job | None, str]:
        """The job once it is finished (or as it stands after ``timeout`` s), and the notice
        published with its completion if this call received it (else ``""``).

        Subscribes to the job's channel before reading the record, so a finish
        between the read and the wait is not missed.
        """
        deadline = time.monotonic() + timeout
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        notice = ""
        try:
            pubsub.subscribe(self.channel(job_id))
            job = self.get(job_id)
            while job is not None and not job.finished:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                # Re-read at least every 5 s, in case a message was lost to a reconnect.
                message = pubsub.get_message(timeout=min(remaining, 5.0))
                if message is not None:
                    notice = message["data"].partition("\n")[2]
                job = self.get(job_id)
            return job, notice
        finally:
            pubsub.close()

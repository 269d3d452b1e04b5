"""The job store: one Redis hash per job, living ``RESULT_TTL_SECONDS`` from its creation.

Status only moves forward — ``queued → processing → completed | failed`` —
and a finished job never changes again, so a task that Celery delivers twice
(``acks_late``) cannot undo what the first delivery decided. Each transition
is one Lua script (``common.job_scripts``) on the job's key: one round trip to Redis, atomic
(fakeredis runs it too, through ``lupa``). Finishing publishes on the job's channel, which is what
``wait()`` (the API's ``?wait=N``, ``common.waiting``) blocks on instead of polling; the
message carries the finished record and may carry a small result (a "notice"), so the
waiter reads neither the record from Redis nor the result from object storage. A job created
to be waited for at once (``awaiting``) names its API process's listener in ``notify``, and
finishing publishes there too (``common.completions``): the request subscribes to nothing.
Finishing also adds the job's metrics (``common.jobmetrics``) when it moved, in the same
script.

A job may belong to a batch (``batch``, see ``common.batches``): the same
scripts then also write the batch's item entry and, on finishing, count it,
so the counts are exact however often a task runs. (The batch's keys are
derived from the job's ``batch`` field inside the script, which standalone
Redis allows; a Redis Cluster would need them in one hash slot.)

Every job whose task message is sent and not yet taken is also in one sorted set
(``queued_key``, by the time it was sent): a job not yet started, and a started one a
chunk handed over to the single-job path (:meth:`resending`). The start and finish scripts
take a job out; it is how ``worker.recovery`` finds jobs whose task message the broker lost.

``deliveries`` counts how often a worker started the job's current attempt;
the worker fails the job as ``worker_lost`` when a message keeps killing its
worker instead of letting it loop forever.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import uuid as uuid_module
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import redis

from common import batches
from common.clock import Clock, SystemClock
from common.completions import Completions, Waiter
from common.job_record import (
    STORAGE_PREFIXES,
    Job,
    carried_job,
    cleaned_key,
    decode,
    encode,
    fields_of,
    finish_message,
    result_key,
    safe_name,
    upload_key,
)
from common.job_scripts import FINISH_SCRIPT, MOVED, START_SCRIPT, run_pipelined
from common.status import COMPLETED, FAILED, PROCESSING, QUEUED, TERMINAL
from common.waiting import Listening, Record, unsubscribe

__all__ = [
    "COMPLETED",
    "FAILED",
    "PROCESSING",
    "QUEUED",
    "STORAGE_PREFIXES",
    "TERMINAL",
    "Job",
    "JobStore",
    "cleaned_key",
    "result_key",
    "safe_name",
    "upload_key",
]


_IDLE_LISTENERS = 64  # subscribers kept open for ``wait`` (one per concurrent waiter)

Command = tuple[str, tuple]  # a Redis command's name and arguments
# A hash's key and the increments a finish adds to it when the job moves (``common.jobmetrics``).
Counters = tuple[str, Sequence[tuple[str, str, str]]]
FinishCall = tuple[list, list]  # a transition script's keys and arguments


@dataclass(frozen=True)
class Finish:
    """What finishing a job did: whether it moved, and the batch it was the last item of."""

    moved: bool
    batch_done: str | None = None

    def __bool__(self) -> bool:
        return self.moved


_PROCESSING_ENTRY = json.dumps({"status": PROCESSING})  # a started item's state


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
        self._batch_prefixes = batches.key_prefixes(prefix)
        self._start_script = client.register_script(START_SCRIPT)
        self._finish_script = client.register_script(FINISH_SCRIPT)
        self._listeners: deque[redis.client.PubSub] = deque()  # idle ones, for ``wait``
        self._listeners_pid = os.getpid()
        self._completions: Completions | None = None
        self._completions_lock = threading.Lock()

    def key(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"

    def channel(self, job_id: str) -> str:
        return f"{self.prefix}job-finished:{job_id}"

    @property
    def queued_key(self) -> str:
        """The sorted set of jobs whose task message is sent and not yet taken: job UUID → when
        it was (re)sent."""
        return f"{self.prefix}jobs-queued"

    def create(self, op: str, *, also: Sequence[Command] = (), **fields: object) -> Job:
        """Write a new ``queued`` job that expires ``ttl`` seconds from now (``fields`` as
        :meth:`new_job` takes them), in one transaction with the Redis commands ``also``
        (the job's task message: ``worker.enqueue``)."""
        job = self.new_job(op, **fields)
        pipe = self.redis.pipeline(transaction=True)
        self.write(pipe, job)
        for name, args in also:
            pipe.execute_command(name.upper(), *args)
        pipe.execute()
        return job

    def new_job(
        self,
        op: str,
        *,
        options: dict,
        owner: str = "",
        source: str = "upload",
        file_name: str = "",
        file_format: str | None = None,
        url: str | None = None,
        size: int | None = None,
        job_id: str | None = None,
        batch: str | None = None,
        error: dict | None = None,
        callback_url: str | None = None,
        notify: str | None = None,
    ) -> Job:
        """A job record (not yet written): ``queued``, or ``failed`` already when ``error``."""
        now = self.clock.now()
        return Job(
            uuid=job_id or str(uuid_module.uuid4()),
            op=op,
            created_at=now,
            updated_at=now,
            expires_at=now + self.ttl,
            options=options,
            owner=owner,
            source=source,
            file_name=file_name,
            file_format=file_format,
            url=url,
            size=size,
            batch=batch,
            error=error,
            callback_url=callback_url,
            notify=notify,
            status=QUEUED if error is None else FAILED,
            finished_at=None if error is None else now,
        )

    def write(self, pipe: redis.client.Pipeline, job: Job) -> None:
        """Queue the writing of ``job``'s record, with its TTL, on ``pipe``."""
        key = self.key(job.uuid)
        pipe.hset(key, mapping=encode(fields_of(job)))
        pipe.expire(key, self.ttl)
        if job.status == QUEUED:
            pipe.zadd(self.queued_key, {job.uuid: job.created_at})

    def queued_before(self, cutoff: float, limit: int = 10_000) -> list[str]:
        """Jobs in the index (re)sent before ``cutoff`` and not taken since, oldest first."""
        return self.redis.zrangebyscore(self.queued_key, "-inf", cutoff, start=0, num=limit)

    def resending(self, job_ids: Sequence[str]) -> None:
        """Put ``job_ids`` (back) in the index, as of now: their task is about to be sent again.
        A chunk's started jobs it did not run are then found if that message is lost too; the
        finished or expired ones among them leave the index at the next :meth:`requeued`."""
        if job_ids:
            self.redis.zadd(self.queued_key, dict.fromkeys(job_ids, self.clock.now()))

    def requeued(self, job_ids: list[str]) -> list[str]:
        """Of ``job_ids``, those not finished, their time in the index set to now (their task is
        about to be sent again); the others (finished or expired) leave the index. A job in the
        index is either queued or one a chunk started and handed over (:meth:`resending`)."""
        pipe = self.redis.pipeline(transaction=False)
        for job_id in job_ids:
            pipe.hget(self.key(job_id), "status")
        statuses = pipe.execute()
        still, gone = [], []
        for job_id, status in zip(job_ids, statuses, strict=True):
            (still if status in (QUEUED, PROCESSING) else gone).append(job_id)
        pipe = self.redis.pipeline(transaction=False)
        if gone:
            pipe.zrem(self.queued_key, *gone)
        if still:
            pipe.zadd(self.queued_key, dict.fromkeys(still, self.clock.now()), xx=True)
        pipe.execute()
        return still

    def get(self, job_id: str) -> Job | None:
        raw = self.redis.hgetall(self.key(job_id))
        return decode(raw) if raw else None

    def delete(self, job_id: str) -> None:
        self.redis.pipeline().delete(self.key(job_id)).zrem(self.queued_key, job_id).execute()

    def start(self, job_id: str, worker: str) -> Job | None:
        """Mark the job ``processing`` and count the delivery; a finished job is left as it is.

        Returns the job as it now stands, or ``None`` when it does not exist (expired).
        """
        keys, args = self._start_call(job_id, worker)
        return _started(self._start_script(keys=keys, args=args))

    def _start_call(self, job_id: str, worker: str) -> FinishCall:
        entry = _PROCESSING_ENTRY
        args = [*self._batch_prefixes, job_id, worker, self.clock.now(), entry, *TERMINAL]
        return [self.key(job_id), self.queued_key], args

    def reset_deliveries(self, job_id: str) -> None:
        """Start counting deliveries afresh (the task scheduled a retry: it did not crash)."""
        self._update_unfinished(job_id, {"deliveries": 0})

    def complete(
        self, job_id: str, result_key: str, cleaned_key: str | None = None, **details: Any
    ) -> Finish:
        """Mark the job ``completed`` now (:meth:`completion`, with the same arguments, run at
        once); falsy if it was already finished (or is gone)."""
        return self.run_finish(self.completion(job_id, result_key, cleaned_key, **details))

    def completion(
        self,
        job_id: str,
        result_key: str,
        cleaned_key: str | None = None,
        *,
        cleaned_type: str | None = None,
        file_name: str | None = None,
        notice: str = "",
        summary: dict | None = None,
        started: Job | None = None,
        counters: Counters | None = None,
    ) -> FinishCall:
        """Marking the job ``completed``, to run later (:meth:`run_finish`, :meth:`finish_many`).

        ``notice`` goes to whoever ``wait()``s on the job at that moment, nowhere
        else; ``summary`` (small) goes into the item's entry when the job is in a batch.
        ``started`` (the job as :meth:`start` gave it) lets the message carry the finished
        record, so a waiter need not read it; ``counters`` are added when the job moves.
        """
        fields = {
            "result_key": result_key,
            "cleaned_key": cleaned_key,
            "cleaned_type": cleaned_type,
            "file_name": file_name,
        }
        entry = {"status": COMPLETED} | ({"summary": summary} if summary is not None else {})
        return self._finish_call(job_id, fields, entry, notice, started, counters)

    def fail(
        self,
        job_id: str,
        error: dict,
        started: Job | None = None,
        counters: Counters | None = None,
    ) -> Finish:
        """Mark the job ``failed`` with ``{"code", "message"}``; falsy if already finished."""
        return self.run_finish(self.failure(job_id, error, started, counters))

    def failure(
        self,
        job_id: str,
        error: dict,
        started: Job | None = None,
        counters: Counters | None = None,
    ) -> FinishCall:
        """What :meth:`fail` runs, to run later."""
        entry = {"status": FAILED, "error": error}
        return self._finish_call(job_id, {"error": error}, entry, "", started, counters)

    def run_finish(self, call: FinishCall) -> Finish:
        """Run one finish (:meth:`completion`, :meth:`failure`)."""
        return finish_answer(self._finish_script(keys=call[0], args=call[1]))

    def finish_many(self, calls: Sequence[FinishCall]) -> list[Finish]:
        """Run many finishes in one round trip (each still its own atomic script)."""
        answers = run_pipelined(self.redis, self._finish_script, calls) if calls else []
        return [finish_answer(answer) for answer in answers]

    def start_many(self, job_ids: Sequence[str], worker: str) -> list[Job | None]:
        """:meth:`start` for each of ``job_ids``, in one round trip."""
        calls = [self._start_call(job_id, worker) for job_id in job_ids]
        answers = run_pipelined(self.redis, self._start_script, calls) if calls else []
        return [_started(answer) for answer in answers]

    def _finish_call(
        self,
        job_id: str,
        fields: dict,
        entry: dict,
        notice: str = "",
        started: Job | None = None,
        counters: Counters | None = None,
    ) -> FinishCall:
        now = self.clock.now()
        fields = {**fields, "status": entry["status"], "updated_at": now, "finished_at": now}
        pairs = [item for pair in encode(fields).items() for item in pair]
        counter = "completed" if entry["status"] == COMPLETED else "failed"
        finished = replace(started, **fields) if started is not None else None
        keys = [self.key(job_id), self.channel(job_id), self.queued_key]
        added = []
        if counters is not None:
            keys.append(counters[0])
            added = [item for triple in counters[1] for item in triple]
        args = [
            *self._batch_prefixes,
            job_id,
            finish_message(entry["status"], finished, notice),
            json.dumps(entry, ensure_ascii=False),
            counter,
            len(TERMINAL),
            *TERMINAL,
            len(added) // 3,
            *added,
            *pairs,
        ]
        return keys, args

    def _update_unfinished(self, job_id: str, fields: dict) -> bool:
        """Set ``fields`` unless the job is finished or missing; whether it was set."""

        def transition(pipe: redis.client.Pipeline) -> bool:
            status = pipe.hget(key, "status")
            if status is None or status in TERMINAL:
                return False
            pipe.multi()
            pipe.hset(key, mapping=encode(fields))
            return True

        key = self.key(job_id)
        return self.redis.transaction(transition, key, value_from_callable=True)

    def wait(
        self,
        job_id: str,
        timeout: float,
        listening: Listening | Waiter | None = None,
        job: Job | None = None,
    ) -> tuple[Job | None, str]:
        """The job once it is finished (or as it stands after ``timeout`` s), and the notice
        published with its completion if this call received it (else ``""``). The completion
        message carries the finished record, so it is not read again. With ``listening``
        (:meth:`awaiting` entered before the job was created) and ``job`` (as created), the
        record is not read at all unless a message is lost."""
        if listening is not None:
            return listening.wait(lambda: self.get(job_id), timeout, job, carried_job)
        with self.listening(self.channel(job_id)) as entered:
            return entered.wait(lambda: self.get(job_id), timeout, decode=carried_job)

    def wait_on(
        self, channel: str, read: Callable[[], Record | None], timeout: float
    ) -> tuple[Record | None, str]:
        """``read()`` once what it reads is ``finished`` (or as it stands after ``timeout``
        s), woken by messages on ``channel``; the notice of the message this call received
        (else ``""``). Jobs and batches both wait through this (see :class:`Listening`)."""
        with self.listening(channel) as entered:
            return entered.wait(read, timeout)

    def completions(self) -> Completions:
        """This process's listener (``common.completions``), started on first use; a forked
        process starts its own."""
        listener = self._completions
        if listener is None or listener.pid != os.getpid():
            with self._completions_lock:
                listener = self._completions
                if listener is None or listener.pid != os.getpid():
                    listener = self._completions = Completions(self.redis, self.prefix)
        return listener

    @contextlib.contextmanager
    def awaiting(self, job_id: str) -> Iterator[Listening | Waiter]:
        """Ready, for the block, to :meth:`wait` for a job not yet created: create it with
        ``notify=`` the answer's ``notify``. Through the process's listener when it is
        subscribed, else a subscription of the request's own (``notify`` is then ``None``)."""
        listener = self.completions()
        waiter = listener.register(job_id)
        if waiter is None:
            with self.listening(self.channel(job_id)) as listening:
                yield listening
            return
        try:
            yield waiter
        finally:
            listener.unregister(job_id)

    @contextlib.contextmanager
    def listening(self, channel: str) -> Iterator[Listening]:
        """Subscribed to ``channel`` for the block (subscribe before reading, or before the
        record exists, so a finish in between is not missed). The subscriber's connection is
        kept for the next wait (unsubscribed), not opened per call."""
        listener = self._listener()
        clean = False
        try:
            listener.subscribe(channel)
            yield Listening(listener, channel)
            clean = unsubscribe(listener, channel)
        finally:
            if clean and len(self._listeners) < _IDLE_LISTENERS:
                self._listeners.append(listener)
            else:
                listener.close()

    def _listener(self) -> redis.client.PubSub:
        """An idle subscriber (its connection open), or a new one."""
        if self._listeners_pid != os.getpid():  # forked: those sockets are the parent's
            self._listeners, self._listeners_pid = deque(), os.getpid()
        try:
            return self._listeners.pop()
        except IndexError:
            return self.redis.pubsub(ignore_subscribe_messages=True)


def _started(answer: list | None) -> Job | None:
    """The job from the start script's answer (``None``: no such job)."""
    if answer is None:
        return None
    return decode(dict(zip(answer[::2], answer[1::2], strict=True)))


def finish_answer(answer: object) -> Finish:
    """A :class:`Finish` from the finish script's answer."""
    if isinstance(answer, str):  # the batch whose last item this was
        return Finish(True, answer)
    return Finish(answer == MOVED)

"""The batch store: many jobs under one UUID, with progress that costs O(1) to read.

A batch is a set of ordinary jobs (``common.jobs``) plus three Redis keys,
all expiring with the batch (``RESULT_TTL_SECONDS`` after its creation):

- ``{prefix}batch:{uuid}`` — a hash: kind, owner, operations, ``total``, and
  the counters ``completed`` and ``failed``; a similarity job also keeps its
  answer's location (``result_key``) or its ``error`` here.
- ``{prefix}batch-items:{uuid}`` — a list, one JSON entry per item in
  submission order: ``{"name", "op", "uuid"}``.
- ``{prefix}batch-status:{uuid}`` — a hash, job UUID → JSON
  ``{"status", "error"?, "summary"?}`` for every item that has started, and a
  field ``-`` written with the batch, so the hash exists (with the batch's TTL)
  before the job store's scripts add to it.

A job of a batch carries the batch's UUID; when the job store moves such a
job to ``processing``, ``completed`` or ``failed`` it writes the item's entry
and, on finishing, counts it in the same Lua script (``common.jobs``; the keys
come from :func:`key_prefixes`), so the counters are exact even when tasks
run twice, and publishes on the batch's channel when the last item finishes.
A poll reads the batch hash, one page of items and their entries: three
commands however large the batch.

A batch can also be written while its request is still arriving (``api.fanout.GrowingBatch``):
:meth:`BatchStore.open` writes the record with ``total`` = :data:`RECEIVING_TOTAL`, a number no
batch reaches, so the finish script never reports it done however many items finish meanwhile;
:meth:`BatchStore.append` adds items and their jobs as they come (one pipeline per group);
:meth:`BatchStore.seal` sets the real total in one script and says whether every item had
already finished, in which case the sealer (not a job's finish) does what follows a batch's end.
Exactly one of the two sees ``completed + failed == total``: the scripts run one at a time.
:meth:`BatchStore.remove` takes back a batch whose request failed part-way.

``kind`` is ``batch`` for ``POST /api/v1/batch`` and the similarity kind
(``visual_hash``, ``remove_duplicates``, ``rank_images``) otherwise; a
similarity job is finished once its answer is stored, after every item.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import redis

from common.clock import Clock
from common.status import FAILED, QUEUED

if TYPE_CHECKING:
    from common.jobs import Job, JobStore

PLAIN = "batch"
PROCESSING_STATUS, DONE, DONE_WITH_ERRORS = "processing", "completed", "completed_with_errors"
_ITEM_CHUNK = 1000  # items per RPUSH / HSET when a batch is created
CHUNK_JOBS = 100  # most jobs per ``exifq.chunk`` task (``worker.chunks``)
SPREAD = 8  # a batch is cut into at least this many chunks when it has the jobs
_STATES_MARK = "-"  # a field of every item states' hash, no job's UUID
RECEIVING_TOTAL = 10**15  # ``total`` of a batch whose items are still arriving (see ``open``)

# KEYS: the record, the items, the item states. ARGV: the real total, the batch's channel,
# now. Returns -1 (no such batch), 1 (every item finished already: published on the channel) or 0.
_SEAL_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('HSET', KEYS[1], 'total', ARGV[1])
local left = tonumber(redis.call('HGET', KEYS[1], 'expires_at')) - tonumber(ARGV[3])
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], math.max(1, math.ceil(left))) end
local counts = redis.call('HMGET', KEYS[1], 'completed', 'failed')
if tonumber(counts[1] or 0) + tonumber(counts[2] or 0) == tonumber(ARGV[1]) then
    redis.call('PUBLISH', ARGV[2], 'finished')
    return 1
end
return 0
"""


def chunks(job_ids: Sequence[str]) -> list[list[str]]:
    """A batch's jobs cut into the chunks the workers run (``exifq.chunk``): at most
    :data:`CHUNK_JOBS` each, and at least :data:`SPREAD` chunks when there are the jobs, so a
    small batch still spreads over the workers."""
    size = max(1, min(CHUNK_JOBS, math.ceil(len(job_ids) / SPREAD)))
    return [list(job_ids[i : i + size]) for i in range(0, len(job_ids), size)]


def batch_key(prefix: str, batch_id: str) -> str:
    return f"{prefix}batch:{batch_id}"


def items_key(prefix: str, batch_id: str) -> str:
    return f"{prefix}batch-items:{batch_id}"


def status_key(prefix: str, batch_id: str) -> str:
    return f"{prefix}batch-status:{batch_id}"


def channel(prefix: str, batch_id: str) -> str:
    return f"{prefix}batch-finished:{batch_id}"


def request_key(batch_id: str) -> str:
    """Where a similarity job's request body waits in object storage until it is answered."""
    return f"requests/{batch_id}.json"


def answer_key(batch_id: str) -> str:
    return f"results/{batch_id}.json"


def key_prefixes(prefix: str) -> tuple[str, str, str]:
    """The batch record's, item states' and channel's names without the batch UUID."""
    return batch_key(prefix, ""), status_key(prefix, ""), channel(prefix, "")


@dataclass(frozen=True)
class Item:
    """One (input, operation) of a batch, as submitted."""

    name: str
    op: str
    uuid: str


@dataclass(frozen=True)
class Batch:
    uuid: str
    kind: str
    owner: str
    operations: list[str]
    total: int
    completed: int
    failed: int
    created_at: float
    expires_at: float
    result_key: str | None = None
    error: dict | None = None
    finished_at: float | None = None
    callback_url: str | None = None  # POSTed the batch's status once it is finished

    @property
    def receiving(self) -> bool:
        """Items are still being added (``BatchStore.open``; not yet sealed)."""
        return self.total == RECEIVING_TOTAL

    @property
    def done(self) -> int:
        return self.completed + self.failed

    @property
    def items_finished(self) -> bool:
        return self.done >= self.total

    @property
    def finished(self) -> bool:
        """Every item is finished and, for a similarity job, the answer is stored (or failed)."""
        if self.kind == PLAIN:
            return self.items_finished
        return self.result_key is not None or self.error is not None

    @property
    def status(self) -> str:
        if not self.items_finished:
            return PROCESSING_STATUS
        return DONE if self.failed == 0 else DONE_WITH_ERRORS


@dataclass(frozen=True)
class ItemState:
    """An item with what its entry in the status hash says."""

    index: int
    item: Item
    status: str
    error: dict | None = None
    summary: dict | None = None


@dataclass(frozen=True)
class NewItem:
    """An item to create: a job ``job`` (queued, or already failed at submission)."""

    name: str
    job: Job


class BatchStore:
    """Batches in Redis, beside the jobs they are made of (same prefix, same TTL)."""

    def __init__(self, jobs: JobStore, clock: Clock | None = None) -> None:
        self.jobs = jobs
        self.redis = jobs.redis
        self.prefix = jobs.prefix
        self.ttl = jobs.ttl
        self.clock = clock or jobs.clock
        self._seal = self.redis.register_script(_SEAL_SCRIPT)

    def create(
        self,
        batch_id: str,
        kind: str,
        *,
        owner: str,
        operations: list[str],
        items: Sequence[NewItem],
        callback_url: str | None = None,
    ) -> Batch:
        """Write the batch, its items and their jobs in one pipeline (the tasks are not sent).

        Items whose job is already ``failed`` count as failed from the start.
        """
        failed = sum(1 for new in items if new.job.status == FAILED)
        pipe = self.redis.pipeline(transaction=False)
        self._write_record(pipe, batch_id, kind, owner, operations, callback_url, len(items))
        pipe.hset(batch_key(self.prefix, batch_id), "failed", failed)
        self._write_items(pipe, batch_id, items)
        pipe.execute()
        return self.get(batch_id)

    def open(
        self,
        batch_id: str,
        kind: str,
        *,
        owner: str,
        operations: list[str],
        callback_url: str | None = None,
    ) -> None:
        """Write a batch whose items are still to come (:meth:`append`, then :meth:`seal`)."""
        pipe = self.redis.pipeline(transaction=False)
        self._write_record(pipe, batch_id, kind, owner, operations, callback_url, RECEIVING_TOTAL)
        pipe.execute()

    def append(self, batch_id: str, items: Sequence[NewItem]) -> None:
        """Add ``items`` (after those already there) and write their jobs, in one pipeline;
        those already ``failed`` are counted as failed."""
        failed = sum(1 for new in items if new.job.status == FAILED)
        pipe = self.redis.pipeline(transaction=False)
        if failed:
            pipe.hincrby(batch_key(self.prefix, batch_id), "failed", failed)
        self._write_items(pipe, batch_id, items)
        pipe.execute()

    def seal(self, batch_id: str, total: int) -> bool:
        """Set the real ``total`` of an :meth:`open` batch (its keys then expire with the batch);
        whether every item had already finished (the caller then does what follows the end of
        a batch: no job's finish will). ``KeyError`` when the batch is gone."""
        args = [total, channel(self.prefix, batch_id), self.clock.now()]
        done = self._seal(keys=self._keys(batch_id), args=args)
        if done < 0:
            raise KeyError(batch_id)
        return done == 1

    def remove(self, batch_id: str, job_ids: Sequence[str]) -> None:
        """Delete the batch and the jobs ``job_ids`` (its items) in one transaction: a worker
        that meets one of them afterwards finds no record and drops it."""
        pipe = self.redis.pipeline(transaction=True)
        for start in range(0, len(job_ids), _ITEM_CHUNK):
            chunk = job_ids[start : start + _ITEM_CHUNK]
            pipe.delete(*(self.jobs.key(job_id) for job_id in chunk))
            pipe.zrem(self.jobs.queued_key, *chunk)
        pipe.delete(*self._keys(batch_id))
        pipe.execute()

    def _keys(self, batch_id: str) -> list[str]:
        """The batch's record, items list and item states' hash."""
        return [
            batch_key(self.prefix, batch_id),
            items_key(self.prefix, batch_id),
            status_key(self.prefix, batch_id),
        ]

    def _write_record(
        self,
        pipe: redis.client.Pipeline,
        batch_id: str,
        kind: str,
        owner: str,
        operations: list[str],
        callback_url: str | None,
        total: int,
    ) -> None:
        now = self.clock.now()
        record = {
            "uuid": batch_id,
            "kind": kind,
            "owner": owner,
            "operations": json.dumps(operations),
            "total": total,
            "completed": 0,
            "failed": 0,
            "created_at": now,
            "expires_at": now + self.ttl,
        }
        if callback_url:
            record["callback_url"] = callback_url
        key = batch_key(self.prefix, batch_id)
        pipe.hset(key, mapping=record)
        pipe.expire(key, self.ttl)
        # The item states' hash exists from the start, so it has the batch's TTL before the job
        # store's scripts add to it (a hash they created would never expire).
        states = status_key(self.prefix, batch_id)
        pipe.hset(states, _STATES_MARK, "")
        pipe.expire(states, self.ttl)

    def _write_items(
        self, pipe: redis.client.Pipeline, batch_id: str, items: Sequence[NewItem]
    ) -> None:
        """Queue the items' entries, the failed ones' states and the jobs on ``pipe``."""
        keys = [items_key(self.prefix, batch_id), status_key(self.prefix, batch_id)]
        for start in range(0, len(items), _ITEM_CHUNK):
            chunk = items[start : start + _ITEM_CHUNK]
            pipe.rpush(keys[0], *(_item_json(new) for new in chunk))
            entries = {
                new.job.uuid: json.dumps({"status": FAILED, "error": new.job.error})
                for new in chunk
                if new.job.status == FAILED
            }
            if entries:
                pipe.hset(keys[1], mapping=entries)
            for new in chunk:
                self.jobs.write(pipe, new.job)
        for key in keys:
            pipe.expire(key, self.ttl)

    def get(self, batch_id: str) -> Batch | None:
        raw = self.redis.hgetall(batch_key(self.prefix, batch_id))
        return _decode(raw) if raw else None

    def items(self, batch_id: str, offset: int, limit: int) -> list[ItemState]:
        """Items ``offset`` to ``offset + limit - 1`` with their current state."""
        raw = self.redis.lrange(items_key(self.prefix, batch_id), offset, offset + limit - 1)
        items = [Item(**json.loads(entry)) for entry in raw]
        return self._with_states(batch_id, items, offset)

    def all_items(self, batch_id: str) -> list[ItemState]:
        """Every item with its state (for answering a similarity job, once)."""
        raw = self.redis.lrange(items_key(self.prefix, batch_id), 0, -1)
        items = [Item(**json.loads(entry)) for entry in raw]
        entries = self.redis.hgetall(status_key(self.prefix, batch_id))
        return [_state(i, item, entries.get(item.uuid)) for i, item in enumerate(items)]

    def _with_states(self, batch_id: str, items: list[Item], offset: int) -> list[ItemState]:
        if not items:
            return []
        entries = self.redis.hmget(status_key(self.prefix, batch_id), [i.uuid for i in items])
        pairs = enumerate(zip(items, entries, strict=True))
        return [_state(offset + i, item, entry) for i, (item, entry) in pairs]

    def finish(
        self, batch_id: str, *, result_key: str | None = None, error: dict | None = None
    ) -> bool:
        """Store a similarity job's answer location (or its error) once; whether this call did."""
        key = batch_key(self.prefix, batch_id)
        fields = {"result_key": result_key} if result_key else {"error": json.dumps(error)}

        def transition(pipe: redis.client.Pipeline) -> bool:
            if pipe.hmget(key, "result_key", "error") != [None, None] or not pipe.exists(key):
                return False
            pipe.multi()
            pipe.hset(key, mapping={**fields, "finished_at": self.clock.now()})
            return True

        moved = self.redis.transaction(transition, key, value_from_callable=True)
        if moved:
            self.redis.publish(channel(self.prefix, batch_id), "finished")
        return moved

    def claim_answer(self, batch_id: str, seconds: int) -> bool:
        """Whether the caller may (re)send the answer task now: at most once per ``seconds``."""
        key = f"{self.prefix}batch-answering:{batch_id}"
        return bool(self.redis.set(key, "1", nx=True, ex=seconds))

    def wait(self, batch_id: str, timeout: float) -> Batch | None:
        """The batch once it is finished, or as it stands after ``timeout`` seconds."""
        channel_name = channel(self.prefix, batch_id)
        return self.jobs.wait_on(channel_name, lambda: self.get(batch_id), timeout)[0]


def _item_json(new: NewItem) -> str:
    entry = {"name": new.name, "op": new.job.op, "uuid": new.job.uuid}
    return json.dumps(entry, ensure_ascii=False)


def _state(index: int, item: Item, entry: str | None) -> ItemState:
    if entry is None:
        return ItemState(index, item, QUEUED)
    values = json.loads(entry)
    return ItemState(index, item, values["status"], values.get("error"), values.get("summary"))


def _decode(raw: dict[str, str]) -> Batch:
    return Batch(
        uuid=raw["uuid"],
        kind=raw["kind"],
        owner=raw.get("owner", ""),
        operations=json.loads(raw["operations"]),
        total=int(raw["total"]),
        completed=int(raw.get("completed", 0)),
        failed=int(raw.get("failed", 0)),
        created_at=float(raw["created_at"]),
        expires_at=float(raw["expires_at"]),
        result_key=raw.get("result_key"),
        error=json.loads(raw["error"]) if "error" in raw else None,
        finished_at=float(raw["finished_at"]) if "finished_at" in raw else None,
        callback_url=raw.get("callback_url"),
    )

"""Batch items in chunks: one ``exifq.chunk`` task runs many jobs, its job-store writes pipelined.

A batch's jobs are ordinary jobs (``api.fanout``); a chunk (``common.batches.chunks``
cuts them) only changes how they are run. It starts :data:`GROUP` jobs in one round trip
(``JobStore.start_many``: the same start script as a single job, so each item's
state, delivery count and batch entry are written as ever), runs each through
``worker.pipeline.run_started`` (outputs stored first, as for a single job), and
finishes them in one round trip (``JobStore.finish_many``: the same finish
script, which counts an item in its batch only when it moves, with its
metrics), then deletes their uploads. Progress moves group by group.

Anything unusual is handed to the single-job path, whose semantics are exact,
as one ``exifq.process`` message per job not yet finished:

- a chunk delivered again (its worker was killed, or the broker sent it twice):
  its jobs already finished are left as they are, and the others each get a
  message of their own, so a job that kills its worker is given up as
  ``worker_lost`` on its own deliveries, never on its neighbours';
- a transient fault (Redis, storage) while running an item;
- the chunk's time budget spent: no item starts after :func:`budget` seconds, so
  each item that starts has the whole ``TASK_SOFT_TIME_LIMIT`` (the chunk's own
  limits are the job's plus the budget, see ``worker.app``).

Run twice, a chunk gives the same results as its jobs run one by one: it runs
the very same functions, and a job store transition never moves a finished job.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from billiard.exceptions import SoftTimeLimitExceeded

from common.errors import Timeout
from common.settings import Settings
from worker import pipeline
from worker.runtime import Runtime

log = logging.getLogger(__name__)

GROUP = 20  # jobs started, and then finished, in one round trip each
CHUNK_SECONDS = 10.0  # no item of a chunk starts later than this after the chunk did


def budget(settings: Settings, amqp: bool) -> float:
    """Seconds after its start during which a chunk starts items: at most
    :data:`CHUNK_SECONDS`, and with Redis small enough that the chunk's hard limit (the job's
    plus this) stays 1 s inside the visibility timeout."""
    if amqp:
        return CHUNK_SECONDS
    room = settings.BROKER_VISIBILITY_TIMEOUT - settings.TASK_TIME_LIMIT - 2
    return max(0.0, min(CHUNK_SECONDS, room))


def delivery_count(rt: Runtime, chunk_id: str) -> int:
    """How often this chunk's message has been started (1 the first time)."""
    key = f"{rt.jobs.prefix}chunk-deliveries:{chunk_id}"
    pipe = rt.jobs.redis.pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, rt.settings.RESULT_TTL_SECONDS)
    return int(pipe.execute()[0])


def run_chunk(
    rt: Runtime,
    job_ids: Sequence[str],
    *,
    delivery: int,
    seconds: float,
    hand_over: Callable[[list[str]], None],
) -> int:
    """Run the chunk's jobs; those it does not run go to ``hand_over`` (one ``exifq.process``
    each). Returns how many jobs it finished itself."""
    if delivery > 1:
        log.warning("chunk of %d jobs delivered again: jobs sent one by one", len(job_ids))
        hand_over(list(job_ids))
        return 0
    deadline = time.monotonic() + seconds
    done = 0
    for start in range(0, len(job_ids), GROUP):
        group = list(job_ids[start : start + GROUP])
        ran, stopped = _run_group(rt, group, deadline)
        done += ran
        if stopped is not None:
            hand_over(group[stopped:] + list(job_ids[start + GROUP :]))
            break
    return done


def _run_group(rt: Runtime, group: list[str], deadline: float) -> tuple[int, int | None]:
    """Start ``group``, run its jobs, finish them: (jobs finished here, index of the first job
    not run, or ``None`` when all were)."""
    jobs = rt.jobs.start_many(group, rt.name)
    endings: list[pipeline.Ending] = []
    stopped = None
    try:
        for index, (job_id, job) in enumerate(zip(group, jobs, strict=True)):
            if time.monotonic() > deadline:
                stopped = index
                break
            try:
                ending = pipeline.run_started(rt, job_id, job)
            except SoftTimeLimitExceeded:
                limit = rt.settings.TASK_SOFT_TIME_LIMIT
                ending = pipeline.failing(rt, job, Timeout(f"ran over {limit:g} s").to_dict())
                stopped = index + 1
            except pipeline.TRANSIENT as exc:
                log.warning("job %s: transient fault in a chunk, sent on its own: %s", job_id, exc)
                stopped = index
                break
            except Exception:
                log.exception("job %s: unexpected error", job_id)
                error = {"code": "internal_error", "message": "the worker failed on this job"}
                ending = pipeline.failing(rt, job, error)
            if not isinstance(ending, str):
                endings.append(ending)
            if stopped is not None:
                break
    finally:
        finishes = rt.jobs.finish_many([ending.call for ending in endings])
        for ending, finish in zip(endings, finishes, strict=True):
            pipeline.settle(rt, ending, finish)
    return len(endings), stopped

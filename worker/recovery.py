"""Re-send the task of a job whose message the broker lost.

Kombu's Redis transport takes a message off the queue (``BRPOP``) and only
afterwards records it as unacknowledged: a worker killed in between loses
the message for good (celery/celery#7950, celery/kombu#305), and its job
would stay ``queued`` until it expires. The job store is the record that
survives: every job whose message is sent and not yet taken is in
``JobStore.queued_key`` (a job not yet started, or one a chunk started and
handed over to the single-job path unrun). A job still there a visibility
timeout after it was sent, whose id is in no message the broker holds (the
queue, the unacknowledged messages, a pending ``exifq.chunk`` or
``exifq.fanout``), lost its message: its ``exifq.process`` is sent again.
Were the check ever wrong (a message in flight between the two), the
job would merely run twice, which the job store makes harmless.

Every worker's main process calls :func:`recover` on a timer
(``worker.app.Recovery``); a lock lets one of them scan per period.

Only the Redis transport has this window. With RabbitMQ (``BROKER_URL=amqp://``)
a delivered message stays the broker's until it is acknowledged and returns
when its consumer's connection closes, so the workers do not run this.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterable, Mapping

import redis

from common.broker import redis_queue_keys
from common.jobs import JobStore

log = logging.getLogger(__name__)


Tasks = Mapping[str, Callable[[list], Iterable[str]]]  # task name -> the job ids in its args


def _job_ids(raw: str, tasks: Tasks, *, unacked: bool = False) -> Iterable[str]:
    """The job ids in a serialized task message (an unacknowledged entry wraps it as
    ``[message, exchange, routing key]``); none for other tasks or what is not kombu's."""
    try:
        message = json.loads(raw)[0] if unacked else json.loads(raw)
        read = tasks.get(message["headers"]["task"])
        if read is None:
            return ()
        args = json.loads(base64.b64decode(message["body"]))[0]
        return [str(job_id) for job_id in read(args)]
    except (ValueError, KeyError, IndexError, TypeError):
        return ()


def pending_job_ids(client: redis.Redis, prefix: str, queue: str, tasks: Tasks) -> set[str]:
    """Every job id in a message the broker holds for ``queue``: waiting, or delivered to a
    worker and not acknowledged. Read in one transaction, so a message moving between the
    two is seen once."""
    pipe = client.pipeline(transaction=True)
    for key in redis_queue_keys(prefix, queue):
        pipe.lrange(key, 0, -1)
    pipe.hvals(f"{prefix}unacked")
    *waiting, unacked = pipe.execute()
    found = {job_id for raws in waiting for raw in raws for job_id in _job_ids(raw, tasks)}
    found.update(job_id for raw in unacked for job_id in _job_ids(raw, tasks, unacked=True))
    return found


def recover(
    jobs: JobStore,
    pending: Callable[[], set[str]],
    send: Callable[[str], None],
    *,
    grace: float,
    lock_seconds: float,
) -> list[str]:
    """Re-send the tasks of jobs queued more than ``grace`` seconds ago whose ids no pending
    message holds; the ids re-sent. At most one caller scans per ``lock_seconds``."""
    stale = jobs.queued_before(jobs.clock.now() - grace)
    if not stale:
        return []
    lock = f"{jobs.prefix}recovery-lock"
    if not jobs.redis.set(lock, "1", nx=True, px=max(1, int(lock_seconds * 1000))):
        return []
    held = pending()
    lost = jobs.requeued([job_id for job_id in stale if job_id not in held])
    for job_id in lost:
        send(job_id)
    if lost:
        log.warning("re-sent %d job(s) whose task message was lost: %s", len(lost), lost[:10])
    return lost

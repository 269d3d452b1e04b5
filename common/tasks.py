"""The Celery queue and task names: what the API sends and the workers run.

Kept here, not in ``worker.app``, so that the API and the stores can name a
task without importing the Celery application.
"""

from __future__ import annotations

from types import MappingProxyType

QUEUE = "exifq"
PROCESS_TASK = "exifq.process"  # runs one job
SWEEP_TASK = "exifq.sweep"  # deletes expired objects (beat)
ANSWER_TASK = "exifq.answer"  # answers a similarity job once its records are hashed
FANOUT_TASK = "exifq.fanout"  # sends the tasks of a chunk of a large batch's jobs (older APIs)
CHUNK_TASK = "exifq.chunk"  # runs a chunk of a batch's jobs (worker.chunks)
WEBHOOK_TASK = "exifq.webhook"  # POSTs a finished job's or batch's status to its callbackUrl

# The job ids in the args of the tasks that carry them.
JOB_IDS_IN_ARGS = MappingProxyType(
    {
        PROCESS_TASK: lambda args: args[:1],
        FANOUT_TASK: lambda args: args[0],
        CHUNK_TASK: lambda args: args[0],
    }
)

"""Job metrics from the workers, counted in Redis and read as Prometheus metrics.

Every pool process adds what it did to one Redis hash, ``{prefix}metrics``
(one pipelined round trip per finished job), and whoever is scraped — the
API's ``/metrics``, or a worker's own port (``WORKER_METRICS_PORT``) — reads
the hash in one ``HGETALL``. Why not ``prometheus_client``'s multiprocess
mode: it keeps one file per pool process and counts per worker pod, and the
workers scale with the queue (to zero with KEDA), so a pod's last counts go
with it and every pod must be found and scraped. In Redis the totals are
the fleet's, prefork-safe by construction (no shared memory, no files of
dead processes), and as lasting as the job records. Every scraped process
reports the same totals: aggregate with ``max``, not ``sum`` (as for
``exifq_queue_depth``).

Fields (tab-separated parts): ``jobs op outcome``, ``failures op code``,
``seconds op i`` (jobs whose run fell in bucket ``i`` of :data:`BUCKETS`,
not cumulative), ``seconds_sum op``, ``cpu_seconds op`` (the CPU the operation
itself took in its pool process: the media work, without the pipeline around
it), ``redeliveries op``, ``retries``, ``webhooks outcome``.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterator

import redis
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from common import heartbeat

# Upper bounds (seconds) of the run-time histogram: a hash is ~10 ms, a large TIFF seconds.
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
SEP = "\t"


def key(prefix: str) -> str:
    return f"{prefix}metrics"


def bucket_index(seconds: float) -> int:
    """The index of the first bucket whose bound holds ``seconds`` (``len(BUCKETS)``: +Inf)."""
    return bisect.bisect_left(BUCKETS, seconds)


def finish_increments(
    op: str, outcome: str, seconds: float, code: str | None = None, cpu: float | None = None
) -> list[tuple[str, str, str]]:
    """What a finished job adds to :func:`key`'s hash: ``(command, field, amount)`` each (the
    job store runs them in its finish script, counted only when the job moved). ``cpu``: the
    CPU seconds its operation took, when it ran."""
    seconds = max(0.0, seconds)
    added = [
        ("HINCRBY", SEP.join(("jobs", op, outcome)), "1"),
        ("HINCRBY", SEP.join(("seconds", op, str(bucket_index(seconds)))), "1"),
        ("HINCRBYFLOAT", SEP.join(("seconds_sum", op)), repr(seconds)),
    ]
    if cpu is not None:
        added.append(("HINCRBYFLOAT", SEP.join(("cpu_seconds", op)), repr(max(0.0, cpu))))
    if code:
        added.append(("HINCRBY", SEP.join(("failures", op, code)), "1"))
    return added


def record_finish(
    client: redis.Redis,
    prefix: str,
    op: str,
    outcome: str,
    seconds: float,
    code: str | None = None,
    cpu: float | None = None,
) -> None:
    """Count a finished job: its outcome, its run time and, when it failed, its error code."""
    pipe = client.pipeline(transaction=False)
    for command, field, amount in finish_increments(op, outcome, seconds, code, cpu):
        pipe.execute_command(command, key(prefix), field, amount)
    pipe.execute()


def count(client: redis.Redis, prefix: str, *field: str) -> None:
    """Add one to a plain counter: ``("retries",)``, ``("redeliveries", op)``,
    ``("webhooks", outcome)``."""
    client.hincrby(key(prefix), SEP.join(field), 1)


def _counter(name: str, doc: str, labels: list[str], rows: dict) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=labels)
    for label_values, value in sorted(rows.items()):
        family.add_metric(list(label_values), value)
    return family


def families(raw: dict[str, str]) -> Iterator[Metric]:
    """Prometheus metric families from the hash's fields and values."""
    rows: dict[str, dict[tuple, float]] = defaultdict(dict)
    buckets: dict[str, list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
    sums: dict[str, float] = defaultdict(float)
    for field, value in raw.items():
        kind, *labels = field.split(SEP)
        if kind == "seconds" and len(labels) == 2 and labels[1].isdigit():
            index = min(int(labels[1]), len(BUCKETS))
            buckets[labels[0]][index] += int(value)
        elif kind == "seconds_sum" and len(labels) == 1:
            sums[labels[0]] = float(value)
        else:
            rows[kind][tuple(labels)] = float(value)
    yield _counter(
        "exifq_jobs", "Jobs finished, by operation and outcome", ["op", "outcome"], rows["jobs"]
    )
    yield _counter(
        "exifq_job_failures", "Failed jobs by error code", ["op", "code"], rows["failures"]
    )
    histogram = HistogramMetricFamily(
        "exifq_job_duration_seconds", "Time from a job's start to its finish", labels=["op"]
    )
    for op, counts in sorted(buckets.items()):
        cumulative, total = [], 0
        for bound, value in zip((*BUCKETS, math.inf), counts, strict=True):
            total += value
            cumulative.append(("+Inf" if bound == math.inf else repr(bound), total))
        histogram.add_metric([op], cumulative, sums.get(op, 0.0))
    yield histogram
    yield _counter(
        "exifq_job_cpu_seconds",
        "CPU seconds the operations themselves took in the pool processes (the media work)",
        ["op"],
        rows["cpu_seconds"],
    )
    yield _counter(
        "exifq_job_redeliveries",
        "Jobs started again after their worker stopped",
        ["op"],
        rows["redeliveries"],
    )
    yield _counter(
        "exifq_job_retries", "Retries after transient faults", [], rows["retries"] or {(): 0.0}
    )
    yield _counter(
        "exifq_webhook_deliveries", "Webhook attempts by outcome", ["outcome"], rows["webhooks"]
    )


class JobMetricsCollector:
    """The fleet's job metrics and the jobs in flight, read from Redis at each scrape."""

    def __init__(self, client: redis.Redis, prefix: str, clock) -> None:
        self.client = client
        self.prefix = prefix
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        try:
            raw = self.client.hgetall(key(self.prefix))
            in_flight = heartbeat.in_flight(self.client, self.prefix, self.clock.now())
        except redis.RedisError:
            return
        yield from families(raw)
        yield GaugeMetricFamily(
            "exifq_jobs_in_flight", "Jobs being run by live workers", value=in_flight
        )

"""Each worker's Prometheus port (``WORKER_METRICS_PORT``), served by its main process.

The pool processes count what they do in Redis (``common.jobmetrics``); this
serves those totals, the jobs in flight, and what only this worker knows:
the jobs it runs now and its pool size. Useful where the API is not scraped
or to watch one worker; the API's ``/metrics`` serves the same totals.
"""

from __future__ import annotations

import logging

from celery import bootsteps
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import GaugeMetricFamily

from common.clock import SystemClock
from common.jobmetrics import JobMetricsCollector
from common.redis_client import redis_client

log = logging.getLogger(__name__)


class WorkerCollector:
    """This worker's own gauges, read from Celery's state in the main process."""

    def __init__(self, worker) -> None:
        self.worker = worker

    def collect(self):
        from celery.worker import state

        yield GaugeMetricFamily(
            "exifq_worker_jobs_running",
            "Tasks this worker runs now",
            value=len(state.active_requests),
        )
        pool = getattr(self.worker, "pool", None)
        size = getattr(pool, "num_processes", None) or self.worker.concurrency
        yield GaugeMetricFamily("exifq_worker_pool_processes", "Pool processes", value=size)


class Exporter(bootsteps.StartStopStep):
    """Serves ``/metrics`` on ``WORKER_METRICS_PORT`` (off when 0)."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, worker, **kwargs) -> None:
        super().__init__(worker, **kwargs)
        self.server = None

    def start(self, worker) -> None:
        settings = worker.app.exifq_settings
        if not settings.WORKER_METRICS_PORT:
            return
        registry = CollectorRegistry()
        client = redis_client(settings)
        registry.register(JobMetricsCollector(client, settings.REDIS_KEY_PREFIX, SystemClock()))
        registry.register(WorkerCollector(worker))
        self.server, _ = start_http_server(settings.WORKER_METRICS_PORT, registry=registry)
        log.info("worker metrics on port %d", settings.WORKER_METRICS_PORT)

    def stop(self, worker) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server = None

"""``GET /metrics``: Prometheus metrics (prometheus-client), one registry per app.

Request counts and latencies are per API process (scrape each gunicorn
process, or sum them in Prometheus); the queue depth and live-worker gauges
and the workers' job metrics (``common.jobmetrics``: jobs by operation and
outcome, run times, retries, redeliveries, in flight, webhooks) are read from
Redis at scrape time, so every process reports the same (aggregate with ``max``).
"""

from __future__ import annotations

import time

import redis
from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

from api.ratelimit import unlimited
from api.services import Services
from common import heartbeat
from common.jobmetrics import JobMetricsCollector


class BackendCollector:
    """Gauges read from Redis when scraped: jobs waiting in the queue, live workers."""

    def __init__(self, svc: Services, queue_key: str) -> None:
        self.svc = svc
        self.queue_key = queue_key

    def collect(self):
        client, prefix = self.svc.jobs.redis, self.svc.settings.REDIS_KEY_PREFIX
        try:
            depth = client.llen(self.queue_key)
            live = heartbeat.live_workers(client, prefix, self.svc.clock.now())
        except redis.RedisError:
            return
        yield GaugeMetricFamily("exifq_queue_depth", "Jobs waiting in the queue", value=depth)
        yield GaugeMetricFamily("exifq_live_workers", "Workers with a recent heartbeat", value=live)


def init_metrics(app: Flask, svc: Services, queue_key: str) -> None:
    registry = CollectorRegistry()
    requests_total = Counter(
        "exifq_http_requests_total",
        "HTTP requests answered",
        ["method", "endpoint", "status"],
        registry=registry,
    )
    latency = Histogram(
        "exifq_http_request_seconds", "Time to answer a request", ["endpoint"], registry=registry
    )
    jobs_submitted = Counter(
        "exifq_jobs_submitted_total", "Jobs accepted", ["op"], registry=registry
    )
    registry.register(BackendCollector(svc, queue_key))
    registry.register(JobMetricsCollector(svc.jobs.redis, svc.jobs.prefix, svc.clock))

    @app.before_request
    def start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def record(response):
        endpoint = request.endpoint or "unknown"
        requests_total.labels(request.method, endpoint, str(response.status_code)).inc()
        if "metrics_started" in g:
            latency.labels(endpoint).observe(time.perf_counter() - g.metrics_started)
        if endpoint == "jobs.submit" and response.status_code in (200, 202):
            jobs_submitted.labels(request.view_args.get("op", "")).inc()
        return response

    @app.get("/metrics")
    @unlimited
    def metrics():
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

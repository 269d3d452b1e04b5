"""``GET /metrics``: Prometheus metrics (prometheus-client), one registry per app.

Request counts and latencies are per API process (scrape each gunicorn
process, or sum them in Prometheus); the queue depth (from the broker: a Redis
list's length, or RabbitMQ's count of ready messages), the live-worker gauge
and the workers' job metrics (``common.jobmetrics``: jobs by operation and
outcome, run times, retries, redeliveries, in flight, webhooks) are read at
scrape time, so every process reports the same (aggregate with ``max``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import redis
from amqp.exceptions import AMQPError
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
from common import broker, heartbeat
from common.jobmetrics import JobMetricsCollector

log = logging.getLogger(__name__)

BROKER_TIMEOUT = 2.0  # seconds a scrape waits for the broker


def queue_depth_reader(svc: Services) -> Callable[[], int]:
    """``() -> jobs waiting in the queue``, read from the broker the settings name."""
    settings = svc.settings
    if broker.is_amqp(settings):
        return lambda: broker.amqp_queue_depth(settings.broker_url, timeout=BROKER_TIMEOUT)
    client = svc.jobs.redis
    if settings.broker_url != settings.REDIS_URL:  # a Redis of its own
        client = redis.Redis.from_url(
            settings.broker_url,
            socket_connect_timeout=BROKER_TIMEOUT,
            socket_timeout=BROKER_TIMEOUT,
        )
    return lambda: broker.redis_queue_depth(client, settings.REDIS_KEY_PREFIX)


class BackendCollector:
    """Gauges read when scraped: jobs waiting in the broker's queue, live workers (Redis)."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.queue_depth = queue_depth_reader(svc)

    def collect(self):
        try:
            depth = self.queue_depth()
        except (redis.RedisError, OSError, AMQPError) as exc:
            log.warning("metrics: queue depth unavailable: %s", exc)
        else:
            yield GaugeMetricFamily("exifq_queue_depth", "Jobs waiting in the queue", value=depth)
        client, prefix = self.svc.jobs.redis, self.svc.settings.REDIS_KEY_PREFIX
        try:
            live = heartbeat.live_workers(client, prefix, self.svc.clock.now())
        except redis.RedisError:
            return
        yield GaugeMetricFamily("exifq_live_workers", "Workers with a recent heartbeat", value=live)


def init_metrics(app: Flask, svc: Services) -> None:
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
    registry.register(BackendCollector(svc))
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

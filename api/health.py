"""``GET /healthz`` (the process answers) and ``GET /readyz`` (what submitting a job needs).

``/healthz`` touches nothing outside the process: a liveness probe must not
restart an API whose dependencies are away. ``/readyz`` checks Redis, storage
(and for a local directory, the free disk) and the broker when it is not the
job store's Redis, each in a thread of its own bounded by
:data:`CHECK_SECONDS`, so the probe answers within about that whatever hangs.
It reports how many workers are alive without failing on none: with workers
scaled to zero a job waits in the queue until one starts, and an API taken out
of its Service would stop the queue from ever growing. ``?require=workers``
makes no live worker a 503 too (for monitoring).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from amqp.exceptions import AMQPError
from flask import Blueprint, request

from api.errors import UNAVAILABLE
from api.ratelimit import unlimited
from api.services import Services, services
from common import broker, heartbeat

bp = Blueprint("health", __name__)

CHECK_SECONDS = 1.0  # each readiness check's own bound
MiB = 1024 * 1024
LOW_DISK_UPLOADS = 10  # a local disk with room for fewer uploads than this is reported low


@bp.get("/healthz")
@unlimited
def healthz():
    return {"success": True, "status": "ok"}


def bounded(probes: dict[str, Callable[[], str]], seconds: float = CHECK_SECONDS) -> dict:
    """Each probe's report, or why it failed, or that it did not answer within ``seconds``.
    They run at once, in daemon threads (one that hangs runs on, bounded by its client's own
    timeouts), so the whole takes at most about ``seconds``."""
    outcome: dict[str, str] = {}

    def run(name: str, probe: Callable[[], str]) -> None:
        try:
            outcome[name] = probe()
        except (*UNAVAILABLE, OSError, AMQPError) as exc:
            outcome[name] = f"unavailable: {exc}"

    threads = [
        threading.Thread(target=run, args=item, name=f"exifq-readyz-{item[0]}", daemon=True)
        for item in probes.items()
    ]
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    late = f"unavailable: no answer within {seconds:g} s"
    return {name: outcome.get(name, late) for name in probes}


def _storage_report(svc: Services) -> str:
    svc.storage.ping()
    free = svc.storage.free_bytes()
    if free is None:
        return "ok"
    upload = svc.settings.MAX_UPLOAD_BYTES
    if free < upload:
        return f"unavailable: disk full ({free // MiB} MiB free, uploads take {upload // MiB})"
    if free < LOW_DISK_UPLOADS * upload:
        return f"ok (low disk: {free // MiB} MiB free)"
    return f"ok ({free // MiB} MiB free)"


def _broker_probe(svc: Services) -> Callable[[], str] | None:
    """A check of the broker when it is not the job store's Redis (checked already)."""
    settings = svc.settings
    if settings.broker_url == settings.REDIS_URL:
        return None

    def probe() -> str:
        if broker.is_amqp(settings):
            broker.amqp_queue_depth(settings.broker_url, timeout=CHECK_SECONDS)
        else:
            import redis

            redis.Redis.from_url(settings.broker_url, socket_timeout=CHECK_SECONDS).ping()
        return "ok"

    return probe


def _workers_report(svc: Services) -> str:
    count = heartbeat.live_workers(svc.jobs.redis, svc.settings.REDIS_KEY_PREFIX, svc.clock.now())
    return f"ok ({count} live)" if count else "none live: jobs wait in the queue until one starts"


@bp.get("/readyz")
@unlimited
def readyz():
    """200 when Redis, storage (and a broker of its own) answer; the workers are reported."""
    svc = services()
    probes: dict[str, Callable[[], str]] = {
        "redis": lambda: "ok" if svc.jobs.redis.ping() else "unavailable",
        "storage": lambda: _storage_report(svc),
    }
    broker_probe = _broker_probe(svc)
    if broker_probe is not None:
        probes["broker"] = broker_probe
    required = set(probes)
    checks = bounded({**probes, "workers": lambda: _workers_report(svc)})
    if request.args.get("require") == "workers":
        required.add("workers")
    ready = all(checks[name].startswith("ok") for name in required)
    return {"success": ready, "ready": ready, "checks": checks}, 200 if ready else 503

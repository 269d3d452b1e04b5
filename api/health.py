"""``GET /healthz`` (the process answers) and ``GET /readyz`` (Redis, storage, a live worker)."""

from __future__ import annotations

from flask import Blueprint

from api.errors import UNAVAILABLE
from api.ratelimit import unlimited
from api.services import services
from common import heartbeat

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@unlimited
def healthz():
    return {"success": True, "status": "ok"}


def _check(probe) -> str:
    try:
        return probe()
    except UNAVAILABLE as exc:
        return f"unavailable: {exc}"


@bp.get("/readyz")
@unlimited
def readyz():
    """Ready when Redis answers, storage answers and a worker stamped its heartbeat recently."""
    svc = services()
    client = svc.jobs.redis

    def redis_ok() -> str:
        client.ping()
        return "ok"

    def storage_ok() -> str:
        svc.storage.ping()
        return "ok"

    def workers_ok() -> str:
        count = heartbeat.live_workers(client, svc.settings.REDIS_KEY_PREFIX, svc.clock.now())
        return f"ok ({count} live)" if count else "unavailable: no live worker"

    checks = {"redis": _check(redis_ok), "storage": _check(storage_ok)}
    checks["workers"] = _check(workers_ok) if checks["redis"] == "ok" else "unknown"
    ready = all(value.startswith("ok") for value in checks.values())
    return {"success": ready, "ready": ready, "checks": checks}, 200 if ready else 503

"""Rate limits per API key (per client address when the service runs open), with Flask-Limiter.

One limit per caller across every route (Flask-Limiter's application limit),
held in the jobs' Redis under ``{prefix}ratelimit:`` so every API process
counts together. The limit is the key's own (``exifq keys create
--rate-limit``) or ``RATE_LIMIT`` (``60/minute``, ``10/second;1000/day``).
The strategy is the sliding window counter (``limits``): one Lua call per
request that refuses without consuming, so a refused request costs nothing.

A request costs 1; a request that makes N jobs (a batch, a similarity job)
costs N: its view calls :func:`charge` once it has counted them, before any
job exists. Views marked :func:`unlimited` (``/healthz``, ``/readyz``,
``/metrics``) are never limited. Blueprints need nothing else: the drop-in
adapters are limited like the native API, keyed by the key their reader
finds (``api.auth.read_key_with``).

Refused: ``429 {"success": false, "error": ...}`` with ``Retry-After`` (whole
seconds until the window has room again); every limited answer carries
``X-RateLimit-Limit``, ``-Remaining`` and ``-Reset``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from limits import parse_many

from api.auth import Caller, identify
from api.errors import error_response
from api.services import Services
from common.errors import BadRequest, ExifqError

F = TypeVar("F", bound=Callable)
EXTENSION = "exifq_limiter"
STRATEGY = "sliding-window-counter"


class RateLimited(ExifqError):
    code = "rate_limited"
    http_status = 429


def unlimited(view: F) -> F:
    """Mark ``view`` as never rate limited (health checks, metrics)."""
    view.exifq_unlimited = True
    return view


def client_key(caller: Caller, address: str | None) -> str:
    """What the caller's requests are counted under: its key, else its address."""
    if caller.valid and caller.owner:
        return f"key:{caller.key_id or caller.owner[:16]}"
    return f"addr:{address or 'unknown'}"


def request_cost(items: int) -> int:
    """What a request that makes ``items`` jobs costs: one per job, at least 1."""
    return max(1, items)


def limits_of(svc: Services) -> list[dict]:
    """The request's caller's rate limits: ``[{"amount", "seconds", "limit"}]`` (empty: none)."""
    text = identify(svc.settings.api_keys, svc.keys).rate_limit or svc.settings.RATE_LIMIT
    return [
        {"amount": item.amount, "seconds": item.get_expiry(), "limit": str(item)}
        for item in (parse_many(text) if text else [])
    ]


def init_rate_limit(app: Flask, svc: Services) -> Limiter:
    """Limit every route of ``app`` not marked :func:`unlimited`."""
    settings = svc.settings

    def caller() -> Caller:
        return identify(settings.api_keys, svc.keys)

    def is_unlimited() -> bool:
        view = current_app.view_functions.get(request.endpoint or "")
        return getattr(view, "exifq_unlimited", False)

    limiter = Limiter(
        lambda: client_key(caller(), request.remote_addr),
        application_limits=[lambda: caller().rate_limit or settings.RATE_LIMIT],
        strategy=STRATEGY,
        storage_uri="redis://",
        storage_options={
            "connection_pool": svc.jobs.redis.connection_pool,
            "key_prefix": f"{svc.jobs.prefix}ratelimit",
        },
        headers_enabled=False,  # ours below: Retry-After only on a 429
        key_prefix="exifq",
    )
    limiter.request_filter(is_unlimited)
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter

    @app.errorhandler(RateLimitExceeded)
    def refused(exc: RateLimitExceeded):
        return error_response(f"rate limit exceeded: {exc.description}", 429)

    @app.after_request
    def headers(response: Response) -> Response:
        return add_headers(response, limiter.current_limit, time.time())

    return limiter


def add_headers(response: Response, limit: RequestLimit | None, now: float) -> Response:
    """``X-RateLimit-*`` for the limit that decided, and ``Retry-After`` on a 429."""
    if limit is None:
        return response
    reset_at, remaining = limit.window
    response.headers["X-RateLimit-Limit"] = str(limit.limit.amount)
    response.headers["X-RateLimit-Remaining"] = str(max(0, remaining))
    response.headers["X-RateLimit-Reset"] = str(math.ceil(reset_at))
    if response.status_code == 429:
        response.headers["Retry-After"] = str(retry_after(reset_at, now))
    return response


def retry_after(reset_at: float, now: float) -> int:
    """Whole seconds to wait (at least 1) before the window has room again."""
    return max(1, math.ceil(reset_at - now))


def charge(cost: int) -> None:
    """This request costs ``cost`` (the jobs it makes), not 1: take the rest from each of the
    caller's limits now. ``RateLimited`` (429) when a limit has not that much left, and a 400
    when ``cost`` is more than a limit ever allows at once (waiting would not help)."""
    limiter: Limiter | None = current_app.extensions.get(EXTENSION)
    extra = cost - 1
    if limiter is None or extra <= 0:
        return
    for limit in limiter.current_limits:
        if cost > limit.limit.amount:
            raise BadRequest(
                f"this request makes {cost} jobs, more than the rate limit ({limit.limit}) "
                f"allows at once: send at most {limit.limit.amount} at a time"
            )
    for limit in limiter.current_limits:
        if not limiter.limiter.hit(limit.limit, *limit.request_args, cost=extra):
            limit.breached = True
            limiter.context.view_rate_limit = limit
            raise RateLimited(
                f"rate limit exceeded: this request makes {cost} jobs, more than is left "
                f"of {limit.limit}"
            )

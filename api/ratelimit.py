"""Rate limits per API key (per client address when the service runs open), with Flask-Limiter.

One limit per caller across every route (Flask-Limiter's application limit),
held in the jobs' Redis under ``{prefix}ratelimit:`` so every API process
counts together. The limit is the key's own (``exifq keys create
--rate-limit``) or ``RATE_LIMIT`` (``60/minute``, ``10/second;1000/day``).
The strategy is the sliding window counter (``limits``): one Lua call that
takes the cost only when it fits, so a refused request costs nothing.

A request costs 1. A view that makes N jobs (a batch, a similarity job) is
marked :func:`costs_jobs` and calls :func:`charge` with N once it has counted
them, before any job exists: the whole N is taken at once or refused, never
1 of it (a client retrying a refused batch would otherwise keep its own
window full). Such a request is refused up front, before its body is read,
when the window is already full. Views marked :func:`unlimited`
(``/healthz``, ``/readyz``, ``/metrics``) are never limited. Blueprints need
nothing else: the drop-in adapters are limited like the native API, keyed by
the key their reader finds (``api.auth.read_key_with``).

Refused: ``429 {"success": false, "error": ...}`` with ``Retry-After`` (whole
seconds until the window has room for the request again, estimated); every
limited answer carries ``X-RateLimit-Limit``, ``-Remaining`` and ``-Reset``.
A wrong key is a 401 before any limit is consulted (a revoked key must say
so, not "wait"); keys are 256 random bits, so counting wrong guesses would
protect nothing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from limits import parse_many

from api.auth import Caller, InvalidApiKey, identify
from api.errors import error_response
from api.services import Services
from common.errors import BadRequest, ExifqError

F = TypeVar("F", bound=Callable)
EXTENSION = "exifq_limiter"
STRATEGY = "sliding-window-counter"
SCOPE = "global"  # Flask-Limiter's scope of an application limit


class RateLimited(ExifqError):
    code = "rate_limited"
    http_status = 429


def unlimited(view: F) -> F:
    """Mark ``view`` as never rate limited (health checks, metrics)."""
    view.exifq_unlimited = True
    return view


def costs_jobs(view: F) -> F:
    """Mark ``view`` as one that calls :func:`charge` with the number of jobs it makes."""
    view.exifq_costs_jobs = True
    return view


def _marked(mark: str) -> bool:
    return getattr(current_app.view_functions.get(request.endpoint or ""), mark, False)


def client_key(caller: Caller, address: str | None) -> str:
    """What the caller's requests are counted under: its key, else its address."""
    if caller.valid and caller.owner:
        return f"key:{caller.key_id or caller.owner[:16]}"
    return f"addr:{address or 'unknown'}"


def request_cost(items: int) -> int:
    """What a request that makes ``items`` jobs costs: one per job, at least 1."""
    return max(1, items)


def retry_after(reset_at: float, now: float, wanted: int = 1, stats: tuple = ()) -> int:
    """Whole seconds to wait (at least 1) until the window has room again: until the next unit
    frees (``reset_at``), or for ``wanted`` units a share of the window (``stats``: amount,
    seconds, remaining) in proportion to what is missing."""
    wait = reset_at - now
    if stats and wanted > 1:
        amount, seconds, remaining = stats
        wait = max(wait, seconds * (wanted - remaining) / amount)
    return max(1, math.ceil(wait))


def limits_of(svc: Services) -> list[dict]:
    """The request's caller's rate limits: ``[{"amount", "seconds", "limit"}]`` (empty: none)."""
    return [
        {"amount": item.amount, "seconds": item.get_expiry(), "limit": str(item)}
        for item in _items(svc)
    ]


def _items(svc: Services) -> list:
    text = identify(svc.settings.api_keys, svc.keys).rate_limit or svc.settings.RATE_LIMIT
    return parse_many(text) if text else []


def init_rate_limit(app: Flask, svc: Services) -> Limiter:
    """Limit every route of ``app`` not marked :func:`unlimited`."""
    settings = svc.settings

    def caller() -> Caller:
        return identify(settings.api_keys, svc.keys)

    limiter = Limiter(
        lambda: client_key(caller(), request.remote_addr),
        application_limits=[lambda: caller().rate_limit or settings.RATE_LIMIT],
        application_limits_exempt_when=lambda: _marked("exifq_costs_jobs"),
        strategy=STRATEGY,
        storage_uri="redis://",
        storage_options={
            "connection_pool": svc.jobs.redis.connection_pool,
            "key_prefix": f"{svc.jobs.prefix}ratelimit",
        },
        headers_enabled=False,  # ours below: Retry-After only on a 429
        key_prefix="exifq",
    )
    # A caller without a limit (no RATE_LIMIT, no key limit) has nothing to count: skipping
    # Flask-Limiter's machinery then answers the same, cheaper.
    limiter.request_filter(lambda: _marked("exifq_unlimited") or not _items(svc))

    @app.before_request  # before the limiter's own hook
    def before() -> None:
        if not request.endpoint or _marked("exifq_unlimited"):
            return
        caller_ = caller()
        if caller_.presented and not caller_.valid:  # a wrong key is a 401, never a 429
            raise InvalidApiKey("Invalid API key")
        if _marked("exifq_costs_jobs"):
            _take(limiter, svc, 1, test=True)  # no room at all: refuse before the body

    limiter.init_app(app)
    app.extensions[EXTENSION] = (limiter, svc)

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
        wanted = g.get("exifq_cost", 1)
        stats = (limit.limit.amount, limit.limit.get_expiry(), max(0, remaining))
        response.headers["Retry-After"] = str(retry_after(reset_at, now, wanted, stats))
    return response


def _take(limiter: Limiter, svc: Services, cost: int, *, test: bool = False) -> None:
    """Take ``cost`` from each of the caller's limits (only check, with ``test``); refuse with
    a 429 (taking nothing more) when one has not that much left."""
    args = [limiter._key_prefix, limiter._key_func(), SCOPE]
    for item in sorted(_items(svc)):
        fits = limiter.limiter.test if test else limiter.limiter.hit
        limit = RequestLimit(limiter, item, args, False, True)
        limiter.context.view_rate_limit = limit
        if not fits(item, *args, cost=cost):
            limit.breached = True
            g.exifq_cost = cost
            raise RateLimited(f"rate limit exceeded: {item} (this request costs {cost})")


def charge(cost: int) -> None:
    """This request makes ``cost`` jobs: take them all from the caller's limits now (its view is
    marked :func:`costs_jobs`). A 429 when a limit has not that much left; a 400 when ``cost``
    is more than a limit ever allows at once (waiting would not help)."""
    found = current_app.extensions.get(EXTENSION)
    if found is None:
        return
    limiter, svc = found
    for item in _items(svc):
        if cost > item.amount:
            raise BadRequest(
                f"this request makes {cost} jobs, more than the rate limit ({item}) "
                f"allows at once: send at most {item.amount} at a time"
            )
    _take(limiter, svc, cost, test=True)  # every limit has room: then take from each
    _take(limiter, svc, cost)

"""Webhooks (``callbackUrl``): the signature, the retry schedule, and the check at submission.

A finished job, batch or similarity job is POSTed to its ``callbackUrl`` as
the JSON its status URL answers, with

    X-Exifq-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by WEBHOOK_SECRET>

the scheme Stripe uses (its ``Stripe-Signature``): the time is signed with the
body, so a receiver that refuses old times (:func:`verify`, 5 minutes) cannot
be replayed a captured delivery later. Failed deliveries are retried after
``base``, ``2 × base``, ... seconds, each wait at most an hour, until
``WEBHOOK_RETRY_HOURS`` after the first attempt (:func:`next_attempt_at`).
"""

from __future__ import annotations

import hashlib
import hmac
from ipaddress import ip_address

from common.errors import BadRequest
from common.fetch.policy import FetchPolicy
from common.fetch.urls import parse_target

SIGNATURE_HEADER = "X-Exifq-Signature"
TOLERANCE_SECONDS = 300
MAX_WAIT_SECONDS = 3600.0
MAX_URL_LENGTH = 2048


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Exifq-Signature`` value for ``body`` sent at ``timestamp``."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    secret: str, header: str, body: bytes, now: float, tolerance: float = TOLERANCE_SECONDS
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` at a time within ``tolerance`` of
    ``now`` (what a receiver does; docs/operators.md shows it without exifq installed)."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, body, timestamp).rpartition("v1=")[2]
    return hmac.compare_digest(expected, fields.get("v1", ""))


def retry_wait(attempt: int, base: float) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1, 2, ...): ``base`` doubled
    each time, at most an hour."""
    return min(MAX_WAIT_SECONDS, base * 2.0 ** (attempt - 1))


def next_attempt_at(
    attempt: int, failed_at: float, first_at: float, base: float, window_hours: float
) -> float | None:
    """When to try again after failed attempt ``attempt``; ``None`` once that would be past
    ``window_hours`` after the first attempt (``first_at``)."""
    due = failed_at + retry_wait(attempt, base)
    return due if due <= first_at + window_hours * 3600 else None


def check_callback_url(value: object, policy: FetchPolicy, secret: str | None) -> str:
    """A ``callbackUrl`` worth accepting: http(s), no user info, not an address the delivery
    policy refuses when written as one (a name is checked after DNS, at each delivery)."""
    if not secret:
        raise BadRequest("callbackUrl needs WEBHOOK_SECRET to be set on the server")
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_URL_LENGTH:
        raise BadRequest(f"callbackUrl must be a URL of at most {MAX_URL_LENGTH} characters")
    target = parse_target(value)
    try:
        address = ip_address(target.resolvable_host)
    except ValueError:
        return target.url
    policy.check(target.host, address, target.port)
    return target.url

"""How long a client waits after a ``429 Too Many Requests`` before it asks again.

The server's ``Retry-After`` (RFC 9110 §10.2.3: whole seconds, or an HTTP
date) is honoured as given; without a usable one the wait doubles from one
second. Every wait is capped at :data:`MAX_DELAY`. The command line uses it
(``exifq.cli.client``), and so will the Python client.
"""

from __future__ import annotations

import email.utils
import math
from datetime import UTC

MAX_DELAY = 300.0  # seconds: no single wait is longer
MAX_TOTAL_WAIT = 900.0  # seconds a request may spend waiting before the 429 is given up on


def retry_delay(retry_after: str | None, attempt: int, now: float) -> float:
    """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 0) given the
    ``Retry-After`` header (``None`` when absent) and the time ``now`` (epoch seconds)."""
    fallback = min(MAX_DELAY, 2.0**attempt)
    if retry_after is None:
        return fallback
    text = retry_after.strip()
    if text.isdigit():
        return min(MAX_DELAY, float(text))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return fallback
    if when.tzinfo is None:  # "-0000": RFC 9110 dates are in GMT anyway
        when = when.replace(tzinfo=UTC)
    return min(MAX_DELAY, max(0.0, math.ceil(when.timestamp() - now)))

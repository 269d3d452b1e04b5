"""Injectable time: the service asks a clock for "now" so tests can move it past the TTL."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the Unix epoch."""
        ...


class SystemClock:
    """The real wall clock (``time.time``)."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


def isoformat(epoch: float) -> str:
    """``epoch`` as an ISO 8601 UTC timestamp with a ``Z`` suffix (second precision)."""
    stamp = datetime.fromtimestamp(epoch, UTC).replace(microsecond=0)
    return stamp.isoformat().replace("+00:00", "Z")

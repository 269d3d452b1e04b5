"""A storage that fails fast while its backend keeps failing (a circuit breaker), for the API.

Each call on the request path is bounded by the backend's short timeout, but
requests that queue for a thread behind others waiting on a hung store would
each wait that long again. After :data:`FAILURES` transient failures in a row
the breaker opens: calls fail at once with ``TransientError`` (the API's 503)
for ``cooldown`` seconds; then one call is let through as a probe, and its
success closes the breaker (its failure opens it again). A missing key is an
answer, not a failure. The state is per process and thread-safe.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import BinaryIO, TypeVar

from common.errors import TransientError

from . import ObjectNotFound, Storage

FAILURES = 3  # transient failures in a row that open the breaker
T = TypeVar("T")


class Breaker(Storage):
    """``backend``, guarded (see the module docstring)."""

    def __init__(
        self, backend: Storage, cooldown: float = 2.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.backend = backend
        self.cooldown = cooldown
        self.clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._open_until = 0.0  # while failing fast; 0 when closed
        self._probing = False

    @property
    def parallel_puts(self) -> int:  # type: ignore[override]
        return self.backend.parallel_puts

    def _admit(self) -> bool:
        """Whether a call may go to the backend; ``True`` for the probe of an open breaker."""
        with self._lock:
            if self._failures < FAILURES:
                return True
            if self.clock() < self._open_until or self._probing:
                return False
            self._probing = True
            return True

    def _call(self, action: Callable[[], T]) -> T:
        if not self._admit():
            raise TransientError("storage is failing: not tried again for a moment")
        try:
            value = action()
        except ObjectNotFound:
            self._succeeded()
            raise
        except TransientError:
            with self._lock:
                self._failures += 1
                self._probing = False
                if self._failures >= FAILURES:
                    self._open_until = self.clock() + self.cooldown
            raise
        except BaseException:
            with self._lock:
                self._probing = False
            raise
        self._succeeded()
        return value

    def _succeeded(self) -> None:
        with self._lock:
            self._failures, self._probing = 0, False

    @property
    def is_open(self) -> bool:
        return self._failures >= FAILURES

    def ensure_ready(self) -> None:
        self.backend.ensure_ready()

    def ping(self) -> None:
        self._call(self.backend.ping)

    def put(self, key: str, data: bytes | BinaryIO, *, content_type: str | None = None) -> None:
        self._call(lambda: self.backend.put(key, data, content_type=content_type))

    def open(self, key: str) -> BinaryIO:
        return self._call(lambda: self.backend.open(key))

    def get(self, key: str) -> bytes:
        return self._call(lambda: self.backend.get(key))

    def exists(self, key: str) -> bool:
        return self._call(lambda: self.backend.exists(key))

    def delete(self, key: str) -> None:
        self._call(lambda: self.backend.delete(key))

    def list_older_than(self, prefix: str, cutoff: float) -> Iterator[str]:
        return self.backend.list_older_than(prefix, cutoff)

    def free_bytes(self) -> int | None:
        return self.backend.free_bytes()

    def presigned_url(
        self, key: str, seconds: int, *, content_disposition: str, content_type: str
    ) -> str | None:
        """Computed without a request: never held back."""
        return self.backend.presigned_url(
            key, seconds, content_disposition=content_disposition, content_type=content_type
        )

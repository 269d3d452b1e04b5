"""One time budget for a whole fetch, enforced on the blocking socket calls inside it.

A socket timeout bounds each call, not the fetch: a server that drips one byte
a second (in the headers or the body) resets it forever. So a timer thread
shuts the socket being read when the budget runs out, which wakes the blocked
call at once; the reader sees ``expired`` and reports ``Timeout``. Connecting
(TCP and the TLS handshake) happens before there is a socket to watch, so it
gets the remaining budget as its socket timeout instead.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from types import TracebackType

from common.errors import Timeout


class Deadline:
    """``with Deadline(seconds) as deadline:`` arms the timer; leaving the block disarms it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends_at = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._watched: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self.expired = False

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._timer.cancel()

    def remaining(self) -> float:
        """Seconds left; raises ``Timeout`` when none are."""
        left = self._ends_at - time.monotonic()
        if left <= 0 or self.expired:
            self.expired = True
            raise self.timeout()
        return left

    def timeout(self) -> Timeout:
        """The error a fetch that ran out of time raises."""
        return Timeout(f"the URL fetch took longer than {self.seconds:g} s")

    def watch(self, sock: socket.socket | None) -> None:
        """Shut ``sock`` down when the budget runs out (``None`` stops watching)."""
        with self._lock:
            self._watched = sock
            if sock is not None and self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            if self._watched is not None:
                _shut(self._watched)


def _shut(sock: socket.socket) -> None:
    """Shut the descriptor both ways, waking any thread blocked on it.

    Calls the plain socket method so that an ``ssl.SSLSocket`` is shut at the
    TCP level without touching its TLS state from this thread.
    """
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)

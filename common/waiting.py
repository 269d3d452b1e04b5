"""Waiting for a job or batch to finish: a subscription to its finish channel (pub/sub).

The API's ``?wait=N`` blocks on a message instead of polling; the job store
(``common.jobs``) keeps the subscribers' connections open between waits. A new job submitted
with ``?wait=`` waits through the process's one listener instead (``common.completions``,
the same :func:`wait_loop`), and subscribes on its own only while that is not subscribed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import redis


class Finishable(Protocol):
    @property
    def finished(self) -> bool: ...


Record = TypeVar("Record", bound=Finishable)

UNREAD: Any = object()  # no record given: read it first
REREAD: Any = object()  # what a wake-up without a message answers: read the record now
Decode = Callable[[str], tuple[Any, str]]  # a message's text → the record it carries, notice


def wait_loop(
    read: Callable[[], Record | None],
    timeout: float,
    record: Record | None,
    decode: Decode | None,
    receive: Callable[[float], object],
) -> tuple[Record | None, str]:
    """``read()`` (unless ``record`` is given) until it is finished or ``timeout`` s passed.

    ``receive(seconds)`` waits for a finish message: its text (``status\\n...``), ``None``
    (nothing for this wait: wait on until the time is up, then read) or ``REREAD``. ``decode``
    turns the text after its first line into the finished record it carries (then nothing is
    read) and the notice. Re-reads at least every 5 s, in case a message was lost to a
    reconnect.
    """
    deadline = time.monotonic() + timeout
    notice = ""
    if record is UNREAD:
        record = read()
    reread_at = time.monotonic() + 5.0
    while record is not None and not record.finished:
        now = time.monotonic()
        if now >= deadline:
            break
        until = min(deadline, reread_at)
        text = receive(until - now)
        if text is None:
            if time.monotonic() < until:
                continue  # a subscription's reply, or a message for an earlier wait
        elif text is not REREAD:
            rest = str(text).partition("\n")[2]
            carried, notice = decode(rest) if decode else (None, rest)
            if carried is not None:
                record = carried
                continue
        record = read()
        reread_at = time.monotonic() + 5.0
    return record, notice


class Receiver:
    """Waits for a finish message through its ``_receive(seconds)`` (see :func:`wait_loop`)."""

    __slots__ = ()

    def _receive(self, timeout: float) -> object:
        raise NotImplementedError

    def wait(
        self,
        read: Callable[[], Record | None],
        timeout: float,
        record: Record | None = UNREAD,
        decode: Decode | None = None,
    ) -> tuple[Record | None, str]:
        """``read()`` (unless ``record`` is given) until it is finished or ``timeout`` s
        passed, woken by a finish message (see :func:`wait_loop`)."""
        return wait_loop(read, timeout, record, decode, self._receive)


@dataclass
class Listening(Receiver):
    """A subscription to a finish channel, entered by :meth:`JobStore.listening`."""

    listener: redis.client.PubSub
    channel: str
    notify = None  # no listener's channel to record in the job: it publishes on its own

    def _receive(self, timeout: float) -> str | None:
        message = self.listener.get_message(timeout=timeout)
        if message is not None and message["channel"] == self.channel:
            return message["data"]
        return None


def unsubscribe(listener: redis.client.PubSub, channel: str) -> bool:
    """Unsubscribe and read until Redis confirms it; whether the listener is clean to reuse."""
    listener.unsubscribe(channel)
    deadline = time.monotonic() + 1.0
    while listener.subscribed:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        listener.get_message(timeout=remaining)
    return True

"""Waiting for a job or batch to finish: a subscription to its finish channel (pub/sub).

The API's ``?wait=N`` blocks on a message instead of polling; the job store
(``common.jobs``) keeps the subscribers' connections open between waits.
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

_UNREAD: Any = object()


@dataclass
class Listening:
    """A subscription to a finish channel, entered by :meth:`JobStore.listening`."""

    listener: redis.client.PubSub
    channel: str

    def wait(
        self,
        read: Callable[[], Record | None],
        timeout: float,
        record: Record | None = _UNREAD,
        decode: Callable[[str], tuple[Record | None, str]] | None = None,
    ) -> tuple[Record | None, str]:
        """``read()`` (unless ``record`` is given) until it is finished or ``timeout`` s
        passed; a message (``status\\n...``) wakes it, and ``decode`` turns the text after its
        first line into the finished record it carries (then nothing is read) and the notice.
        Re-reads at least every 5 s, in case a message was lost to a reconnect."""
        deadline = time.monotonic() + timeout
        notice = ""
        if record is _UNREAD:
            record = read()
        reread_at = time.monotonic() + 5.0
        while record is not None and not record.finished:
            now = time.monotonic()
            if now >= deadline:
                break
            message = self.listener.get_message(timeout=min(deadline, reread_at) - now)
            if message is not None and message["channel"] == self.channel:
                rest = message["data"].partition("\n")[2]
                carried, notice = decode(rest) if decode else (None, rest)
                if carried is not None:
                    record = carried
                    continue
            elif time.monotonic() < min(deadline, reread_at):
                continue  # a subscription's reply, or a message for an earlier wait
            record = read()
            reread_at = time.monotonic() + 5.0
        return record, notice


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

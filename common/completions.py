"""One pub/sub listener per API process: the finishes of the jobs its requests wait for, and
the API-keys marker (``common.keys``), without a Redis round trip per request.

A ``?wait=`` submit registers a :class:`Waiter` under the job's UUID *before* the job exists
and records the listener's channel (``{prefix}api-waiters:{random}``, one per process) in the
job's ``notify`` field; the finish script publishes the finish message there too, prefixed
with the job's UUID (``uuid\\nstatus\\n...``), and the listener hands it to the waiter, which
decodes it as a subscription of its own would (``common.waiting``). So the request
subscribes to nothing and unsubscribes from nothing. Messages for another process's waiters
go to that process's channel, never here.

Nothing hangs on a lost message: a waiter re-reads the job every 5 s and at its deadline, and
when the listener subscribes again after losing its connection it wakes every waiter to
re-read at once (what was published in between is gone). While the listener is not
subscribed (Redis away, a reconnect under way, a client without a socket such as fakeredis),
:meth:`Completions.register` answers ``None`` and the request subscribes on its own as before.

The listener is a daemon thread, started on first use; a forked process starts its own
(:meth:`common.jobs.JobStore.completions` checks the PID). It reconnects with backoff (0.1 s
doubling to 5 s) and logs an outage once; an idle connection is checked with a PING.

The keys marker: ``{prefix}apikeys-required`` is set by the first ``KeyStore.create`` and never
unset, so ``True`` once seen is final. ``False`` is known only while a second connection of
the listener is subscribed to ``{prefix}apikeys-events`` (on which ``create`` publishes after
setting the marker) and the marker was read *after* that subscription: a creation is then
either in that read or in a message on that connection. A request trusts ``False`` only when
that connection has nothing unread (its socket is not readable and the listener thread is not
in the middle of reading it), so a request that starts after a ``create`` returned is not
answered from a stale cache. The events ride a connection of their own because the
completions' connection is busy under load, and a busy connection would rarely be settled.
On any disconnect the cache is dropped (one read per request) until subscribed again.
"""

from __future__ import annotations

import logging
import os
import secrets
import select
import socket
import threading
import time

import redis

from common.keys import events_channel, required_key
from common.waiting import REREAD, Receiver

log = logging.getLogger(__name__)

_FIRST_DELAY, _MAX_DELAY = 0.1, 5.0  # reconnect backoff, seconds
_PING_EVERY = 15.0  # seconds between PINGs that check the connections are alive
_PONG_WITHIN = 10.0  # a connection whose PONG takes longer is given up
CLIENT_NAME = "exifq-completions"  # the listener's connections, in Redis's CLIENT LIST


class Waiter(Receiver):
    """One request waiting for one job's finish message through the process's listener."""

    __slots__ = ("_event", "_text", "notify")

    def __init__(self, notify: str) -> None:
        self.notify = notify  # the channel to record in the job (its ``notify`` field)
        self._event = threading.Event()
        self._text: str | None = None

    def deliver(self, text: str) -> None:
        self._text = text
        self._event.set()

    def poke(self) -> None:
        """Make the waiter read the record now (a message may have been lost)."""
        self._event.set()

    def _receive(self, timeout: float) -> object:
        if not self._event.wait(timeout):
            return None
        self._event.clear()
        text, self._text = self._text, None
        return REREAD if text is None else text


class _Unsupported(Exception):
    """The client's connections have no socket to poll (fakeredis): no listener."""


class _Feed:
    """One subscribed connection of the listener."""

    def __init__(self, client: redis.Redis, channel: str) -> None:
        pool = client.connection_pool
        kwargs = {**pool.connection_kwargs, "health_check_interval": 0, "client_name": CLIENT_NAME}
        self.conn = pool.connection_class(**kwargs)
        self.settled = False  # everything received has been handled (see keys_required)
        self.pong_due: float | None = None
        self.conn.connect()
        sock = getattr(self.conn, "_sock", None)
        if not isinstance(sock, socket.socket):
            self.conn.disconnect()
            raise _Unsupported()
        self.fd = sock.fileno()
        self.conn.send_command("SUBSCRIBE", channel)
        kind = _text(self.read()[0])
        if kind != "subscribe":
            raise redis.ConnectionError(f"unexpected answer to SUBSCRIBE: {kind}")

    def read(self) -> list:
        reply = self.conn.read_response(push_request=True)
        return reply if isinstance(reply, list) else [reply]

    def close(self) -> None:
        self.conn.disconnect()


class Completions:
    """The process's listener (see the module docstring); starts its thread at once."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.pid = os.getpid()
        self.channel = f"{prefix}api-waiters:{secrets.token_hex(8)}"
        self._client = client
        self._key_events = events_channel(prefix)
        self._marker_key = required_key(prefix)
        self._waiters: dict[str, Waiter] = {}
        self._lock = threading.Lock()
        self._subscribed = False
        self._keys_feed: _Feed | None = None
        self._required_seen = False  # the marker was seen set: final
        self._open = False  # read unset after subscribing, and still subscribed since
        self._stopping = False
        self._wake_read, self._wake_write = os.pipe()
        self._thread = threading.Thread(target=self._run, name="exifq-completions", daemon=True)
        self._thread.start()

    @property
    def subscribed(self) -> bool:
        return self._subscribed

    def register(self, job_id: str) -> Waiter | None:
        """A waiter for ``job_id``'s finish, or ``None`` when the listener is not subscribed
        (then subscribe on your own). :meth:`unregister` it whatever happens."""
        if not self._subscribed:
            return None
        waiter = Waiter(self.channel)
        with self._lock:
            self._waiters[job_id] = waiter
        return waiter

    def unregister(self, job_id: str) -> None:
        with self._lock:
            self._waiters.pop(job_id, None)

    def waiting(self) -> int:
        """How many waiters are registered (none once every request is answered)."""
        return len(self._waiters)

    def keys_required(self) -> bool | None:
        """Whether managed keys are required, when known without reading Redis; else ``None``."""
        if self._required_seen:
            return True
        feed = self._keys_feed
        if feed is None or not self._open:
            return None
        # The socket first, then the flag: a message read off the socket after this poll was
        # read with ``settled`` false, and ``settled`` is true again only once it is handled.
        if _readable(feed.fd) or not feed.settled:
            return None
        if self._required_seen:
            return True
        return False if self._open and self._keys_feed is feed else None

    def saw_required(self) -> None:
        """A request read the marker set: remember it (it is never unset)."""
        self._required_seen = True

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread and close its connections (tests; a process just exits)."""
        if self._stopping:
            return
        self._stopping = True
        os.write(self._wake_write, b"x")
        self._thread.join(timeout)
        for fd in (self._wake_read, self._wake_write):
            os.close(fd)

    def _run(self) -> None:
        delay, failing, first = _FIRST_DELAY, False, True
        while not self._stopping:
            feeds: list[_Feed] = []
            try:
                feeds.append(_Feed(self._client, self.channel))
                feeds.append(_Feed(self._client, self._key_events))
                self._subscribed_now(feeds[1], poke=not first)
                if failing:
                    log.info("completion listener subscribed again")
                delay, failing, first = _FIRST_DELAY, False, False
                self._serve(feeds)
            except _Unsupported:
                log.debug("completion listener: no socket to poll; requests subscribe alone")
                return
            except Exception as exc:
                if not failing and not self._stopping:
                    log.warning("completion listener lost Redis (%s); retrying", exc)
                failing = True
            finally:
                self._subscribed = self._open = False
                self._keys_feed = None
                for feed in feeds:
                    feed.close()
            self._sleep(delay)
            delay = min(delay * 2, _MAX_DELAY)

    def _subscribed_now(self, keys_feed: _Feed, *, poke: bool) -> None:
        """Read the marker (after subscribing to its events) and let waiters in."""
        required = bool(self._client.exists(self._marker_key))
        self._required_seen = self._required_seen or required
        self._keys_feed = keys_feed
        self._open = not required
        self._subscribed = True
        if poke:  # messages published while away are lost: every waiter re-reads now
            with self._lock:
                waiters = list(self._waiters.values())
            for waiter in waiters:
                waiter.poke()

    def _serve(self, feeds: list[_Feed]) -> None:
        poller = select.poll()
        by_fd = {feed.fd: feed for feed in feeds}
        for fd in (*by_fd, self._wake_read):
            poller.register(fd, select.POLLIN)
        ready: list = [feed.fd for feed in feeds]  # anything sent with the subscriptions
        ping_at = time.monotonic() + _PING_EVERY
        while not self._stopping:
            for fd in ready:
                if fd in by_fd:
                    self._drain(by_fd[fd])
            now = time.monotonic()
            if now >= ping_at:
                for feed in feeds:
                    if feed.pong_due is None:
                        feed.conn.send_command("PING")
                        feed.pong_due = now + _PONG_WITHIN
                ping_at = now + _PING_EVERY
            due = min([ping_at, *(f.pong_due for f in feeds if f.pong_due is not None)])
            if due <= now:
                raise redis.ConnectionError("no answer to PING")
            ready = [fd for fd, _ in poller.poll((due - now) * 1000)]

    def _drain(self, feed: _Feed) -> None:
        """Handle everything the connection received so far."""
        feed.settled = False
        while feed.conn.can_read(timeout=0):
            reply = feed.read()
            kind = _text(reply[0]).lower()
            if kind == "message":
                self._dispatch(_text(reply[1]), _text(reply[2]))
            elif kind == "pong":
                feed.pong_due = None
        feed.settled = True

    def _dispatch(self, channel: str, data: str) -> None:
        if channel == self._key_events:
            self._required_seen = True
            return
        job_id, _, text = data.partition("\n")
        waiter = self._waiters.get(job_id)
        if waiter is not None:
            waiter.deliver(text)

    def _sleep(self, seconds: float) -> None:
        poller = select.poll()
        poller.register(self._wake_read, select.POLLIN)
        poller.poll(seconds * 1000)


def _readable(fd: int) -> bool:
    """Whether ``fd`` has something to read (or hung up), without reading it."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)

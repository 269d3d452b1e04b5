"""HTTP to one exifq server: a ``requests`` session per thread, the API key, retries, errors.

Every answer >= 400 becomes an :mod:`exifq.errors` exception. ``429`` and
``502``/``503``/``504`` are tried again, after the ``Retry-After`` the server
gives (RFC 9110 §10.2.3: seconds or an HTTP date; at most :data:`MAX_DELAY`
each) or else an exponential backoff (1, 2, 4 ... 30 s), up to ``retries``
times and :data:`MAX_TOTAL_WAIT` seconds of waiting in all; a request body is
rebuilt for each attempt (bodies are streams, read once). ``on_wait`` hears
each pause (the command line says it on stderr). A connection that cannot be
made raises :class:`~exifq.errors.ServerUnreachable` at once, unless the
caller asks to ride it out (``reconnect``: the polls of a job that exists,
while an API restarts) — then it is retried like a 503.
"""

from __future__ import annotations

import email.utils
import errno
import http.client
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests
import urllib3

from exifq.errors import ExifqError, ServerUnreachable, TimedOut, Unavailable, from_answer

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 60.0  # an answer's first byte: covers the server storing a large upload
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_DELAY = 300.0  # the longest pause between attempts, whatever Retry-After says
MAX_TOTAL_WAIT = 900.0  # seconds one request may spend waiting before its error is raised

Body = Callable[[], tuple[Any, str]]  # a fresh (request body, content type) per attempt
OnWait = Callable[[ExifqError, float], None]  # the refusal, and the seconds before trying again


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or an HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff(attempt: int, base: float = 1.0) -> float:
    """The pause before retry number ``attempt`` (1, 2, ...) when the server names none."""
    return min(base * 2 ** (attempt - 1), 30.0)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception inside it: causes, contexts, ``reason`` and arguments."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        item = todo.pop(0)
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        todo += [getattr(item, "reason", None), item.__cause__, item.__context__, *item.args]


def dropped(exc: BaseException) -> bool:
    """Whether a connection was made and then lost (reset, closed without an answer), as
    opposed to never made (refused, no such host, no answer to connect)."""
    return any(isinstance(item, urllib3.exceptions.ProtocolError) for item in _chain(exc))


def connection_reason(exc: BaseException) -> str:
    """Why a connection failed, in words (``Connection refused``), from the innermost
    ``OSError`` among the exception's causes, reasons and arguments."""
    for item in _chain(exc):
        if isinstance(item, OSError) and item.errno is not None and item.strerror:
            return "timed out" if item.errno == errno.ETIMEDOUT else item.strerror
    for item in _chain(exc):
        if isinstance(item, ConnectionError | http.client.RemoteDisconnected):
            return str(item) or type(item).__name__
    if isinstance(exc, requests.ConnectTimeout):
        return f"no answer within {CONNECT_TIMEOUT:g} s"
    return "cannot connect"


class Transport:
    """One server (``base_url``), one API key, a ``requests.Session`` per thread."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str = "exifq-client",
        on_wait: OnWait | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"User-Agent": user_agent}
        if api_key:
            self.headers["X-API-Key"] = api_key
        self.retries = retries
        self.sleep = sleep
        self.on_wait = on_wait
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
            self._local.session.headers.update(self.headers)
        return self._local.session

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        body: Body | None = None,
        read_timeout: float = READ_TIMEOUT,
        stream: bool = False,
        reconnect: bool = False,
        allow_redirects: bool = True,
    ) -> requests.Response:
        """The answer to one request (status < 400), after the retries; else an ``ExifqError``.

        ``body`` builds the request body for each attempt; ``reconnect`` retries a
        connection that fails (a poll of a job that already exists), with the same backoff.
        """
        attempt, waited = 0, 0.0
        while True:
            attempt += 1
            headers, data = {}, None
            if body is not None:
                data, headers["Content-Type"] = body()
            try:
                answer = self.session.request(
                    method,
                    self.url(path),
                    params=params,
                    json=json,
                    data=data,
                    headers=headers,
                    timeout=(CONNECT_TIMEOUT, read_timeout),
                    stream=stream,
                    allow_redirects=allow_redirects,
                )
            except requests.ConnectionError as exc:
                if reconnect and attempt <= self.retries:
                    self.sleep(backoff(attempt))
                    continue
                if dropped(exc):
                    raise Unavailable(
                        f"{self.base_url} closed the connection before answering "
                        f"({connection_reason(exc)})",
                        code="connection_lost",
                    ) from exc
                raise self.unreachable(exc) from exc
            except requests.Timeout as exc:  # a read timeout
                raise TimedOut(f"no answer from {self.base_url} in {read_timeout:g} s") from exc
            if answer.status_code < 400:
                return answer
            said = retry_after(answer.headers.get("Retry-After"))
            error = from_answer(answer.status_code, json_body(answer), said)
            answer.close()
            pause = min(MAX_DELAY, backoff(attempt) if said is None else said)
            if (
                answer.status_code not in RETRY_STATUSES
                or attempt > self.retries
                or waited + pause > MAX_TOTAL_WAIT
            ):
                raise error
            if self.on_wait is not None:
                self.on_wait(error, pause)
            self.sleep(pause)
            waited += pause

    def json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """The JSON object of a successful answer (``Unavailable`` if it is not one)."""
        answer = self.request(method, path, **kwargs)
        body = json_body(answer)
        if "_not_json" in body:
            raise Unavailable(f"{method} {path}: the answer is not JSON", status=answer.status_code)
        return body

    def unreachable(self, exc: BaseException) -> ServerUnreachable:
        reason = connection_reason(exc)
        return ServerUnreachable(f"cannot connect to {self.base_url}: {reason}")


def json_body(answer: requests.Response) -> dict[str, Any]:
    """The answer's JSON object; ``{"error": "HTTP 502: not JSON", "_not_json": True}`` for
    any other body (a proxy's HTML page)."""
    try:
        body = answer.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return {"error": f"HTTP {answer.status_code}: the answer is not JSON", "_not_json": True}
    return body

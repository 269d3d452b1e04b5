"""Fetch a URL input safely: the HTTP side of the SSRF-safe loader.

Each hop (the URL, then every redirect) is parsed (``urls``), resolved once
(``resolver``), every resolved address checked (``policy``), and the
connection made to a checked address, never to the name: the request carries
the original ``Host`` header and, for https, TLS sends the host name (SNI) and
verifies the certificate against it. One ``Deadline`` bounds the whole fetch
and a byte cap bounds the body. The connection itself is urllib3's, used one
request at a time with no pool, no proxy and no automatic redirects or retries.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from http.client import HTTPException

from urllib3 import HTTPHeaderDict, HTTPResponse
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError, NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from common.errors import TooLarge, UrlFetchFailed
from common.fetch.addresses import IPAddress
from common.fetch.deadline import Deadline
from common.fetch.names import file_name
from common.fetch.policy import FetchPolicy
from common.fetch.resolver import resolve
from common.fetch.urls import Target, follow, parse_target

log = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK_BYTES = 64 * 1024
USER_AGENT = "exifq-fetch/0.1"


@dataclass(frozen=True)
class Fetched:
    """A fetched body and what the server said about it."""

    data: bytes
    name: str  # from Content-Disposition or the URL path, sanitised
    content_type: str | None  # as the server said it; never trusted for the type
    final_url: str  # after redirects, without query string or fragment (safe to log)


@dataclass(frozen=True)
class _Reply:
    status: int
    headers: HTTPHeaderDict
    body: bytes  # read only for 2xx answers


def fetch_url(url: str, policy: FetchPolicy) -> Fetched:
    """GET ``url`` within ``policy``, following redirects.

    Raises ``UrlForbidden`` (scheme, user info, or an address the policy
    refuses, on any hop), ``UrlFetchFailed`` (resolution, connection, TLS, HTTP
    status, too many redirects), ``TooLarge`` (body over ``max_bytes``) and
    ``Timeout`` (the whole fetch over ``timeout``).
    """
    _redact_urllib3_logs()
    first = target = parse_target(url)
    with Deadline(policy.timeout) as deadline:
        for hop in range(policy.max_redirects + 1):
            log.info("fetching %s%s", target.redacted, f" (redirect {hop})" if hop else "")
            reply = _get(target, policy, deadline)
            if reply.status not in REDIRECT_STATUSES:
                break
            location = reply.headers.get("Location")
            if not location:
                raise UrlFetchFailed(f"{target.redacted} redirected without a Location")
            target = follow(target, location)
        else:
            raise UrlFetchFailed(f"more than {policy.max_redirects} redirects")
    if not 200 <= reply.status < 300:
        raise UrlFetchFailed(f"{target.redacted} answered HTTP {reply.status}")
    log.info("fetched %s: %d bytes", target.redacted, len(reply.body))
    return Fetched(
        data=reply.body,
        name=file_name(reply.headers.get("Content-Disposition"), first.path),
        content_type=reply.headers.get("Content-Type"),
        final_url=target.redacted,
    )


def post(url: str, body: bytes, headers: dict[str, str], policy: FetchPolicy) -> int:
    """POST ``body`` to ``url`` within ``policy`` (no redirects followed: a 3xx is an answer
    like any other); the HTTP status. Raises as :func:`fetch_url` does."""
    _redact_urllib3_logs()
    target = parse_target(url)
    with Deadline(policy.timeout) as deadline:
        log.info("posting %d bytes to %s", len(body), target.redacted)
        return _get(target, policy, deadline, method="POST", body=body, headers=headers).status


def _get(
    target: Target,
    policy: FetchPolicy,
    deadline: Deadline,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> _Reply:
    """One request: resolve, check every address, connect to a checked one, send it (a GET
    unless ``method`` says otherwise); a 2xx answer's body is read only for a GET."""
    addresses = resolve(target.resolvable_host, target.port, deadline.remaining())
    for address in addresses:
        policy.check(target.host, address, target.port)
    with _as_fetch_errors(target, deadline):
        connection = _connect(target, addresses, deadline)
        response: HTTPResponse | None = None
        try:
            deadline.watch(connection.sock)
            connection.request(
                method,
                target.request_target,
                body=body,
                headers={**_request_headers(target), **(headers or {})},
                preload_content=False,
                decode_content=False,
            )
            response = connection.getresponse()
            ok = 200 <= response.status < 300 and method == "GET"
            data = _read_body(response, policy.max_bytes, deadline) if ok else b""
            return _Reply(response.status, response.headers, data)
        finally:
            deadline.watch(None)
            if response is not None:
                response.close()
            connection.close()


def _connect(target: Target, addresses: list[IPAddress], deadline: Deadline) -> HTTPConnection:
    """A connection to the first of ``addresses`` that accepts one (TLS set up for https)."""
    *others, last = addresses
    for address in others:
        with contextlib.suppress(NewConnectionError):  # refused or unreachable: try the next
            return _connected(target, address, deadline.remaining())
    return _connected(target, last, deadline.remaining())


def _connected(target: Target, address: IPAddress, timeout: float) -> HTTPConnection:
    """A connected (for https: TLS-verified for the host name) connection to ``address``."""
    connection: HTTPConnection
    if target.scheme == "https":
        connection = HTTPSConnection(
            str(address),
            target.port,
            timeout=timeout,
            server_hostname=target.resolvable_host,
            cert_reqs="CERT_REQUIRED",
        )
    else:
        connection = HTTPConnection(str(address), target.port, timeout=timeout)
    try:
        connection.connect()
    except BaseException:
        connection.close()
        raise
    return connection


def _request_headers(target: Target) -> dict[str, str]:
    return {
        "Host": target.host_header,
        "User-Agent": USER_AGENT,
        "Accept": "image/*, */*;q=0.5",
        "Accept-Encoding": "identity",
        "Connection": "close",
    }


def _read_body(response: HTTPResponse, max_bytes: int, deadline: Deadline) -> bytes:
    """The body as sent, refusing more than ``max_bytes`` (declared or streamed)."""
    declared = response.length_remaining
    if declared is not None and declared > max_bytes:
        raise TooLarge(f"the URL's body is {declared} bytes, over the {max_bytes}-byte limit")
    chunks: list[bytes] = []
    received = 0
    while chunk := response.read(CHUNK_BYTES, decode_content=False):
        received += len(chunk)
        if received > max_bytes:
            raise TooLarge(f"the URL's body is over the {max_bytes}-byte limit")
        chunks.append(chunk)
    if deadline.expired:  # the watchdog's shutdown can look like a clean end of body
        raise deadline.timeout()
    return b"".join(chunks)


@contextlib.contextmanager
def _as_fetch_errors(target: Target, deadline: Deadline) -> Iterator[None]:
    """Turn network and protocol failures into ``Timeout`` or ``UrlFetchFailed``."""
    try:
        yield
    except (OSError, HTTPException, HTTPError) as exc:
        timed_out = isinstance(exc, TimeoutError | Urllib3Timeout) and not isinstance(
            exc, NewConnectionError
        )
        if deadline.expired or timed_out:
            raise deadline.timeout() from exc
        raise UrlFetchFailed(f"fetching {target.redacted} failed: {_describe(exc)}") from exc


def _describe(exc: BaseException) -> str:
    """A one-line description of ``exc`` (its text can echo what a hostile server sent)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "..."


class _RedactQueries(logging.Filter):
    """Strip query strings from urllib3's own log records (it logs the request URL on
    malformed response headers); our logs never hold a URL's query."""

    _QUERY = re.compile(r"\?[^\s'\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._QUERY.sub("?<query>", record.getMessage())
        record.args = None
        return True


@cache
def _redact_urllib3_logs() -> None:
    logging.getLogger("urllib3.connection").addFilter(_RedactQueries())

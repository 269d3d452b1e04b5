"""Parse a URL input into the one thing we will connect to, or refuse it.

One parser (urllib3's RFC 3986 ``parse_url``) decides the scheme, host, port
and request target, and the request is built from exactly what it decided, so
no second parser can read the URL differently. What we refuse, before any
network I/O: schemes other than http/https, user info (``user@host``,
``good.com@evil``), control characters, whitespace and backslashes anywhere,
no host, port 0, and URLs longer than 8 KiB.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from common.errors import UrlForbidden

MAX_URL_LENGTH = 8192
SCHEMES = {"http": 80, "https": 443}
_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x20\x7f\\]")


@dataclass(frozen=True)
class Target:
    """Where one request goes, as parsed from a URL."""

    url: str  # the normalised URL (holds the query: never log it, log ``redacted``)
    scheme: str  # "http" or "https"
    host: str  # as written, normalised: lower case, IDNA A-labels, IPv6 in brackets
    port: int
    request_target: str  # path and query, sent on the request line
    path: str

    @property
    def host_header(self) -> str:
        """The ``Host`` header: the host as written, with the port when it is not the default."""
        if self.port == SCHEMES[self.scheme]:
            return self.host
        return f"{self.host}:{self.port}"

    @property
    def resolvable_host(self) -> str:
        """The host as the resolver and TLS (SNI, certificate check) want it.

        Brackets around an IPv6 literal come off, and so does a trailing dot: in
        DNS ``example.com.`` and ``example.com`` are the same name.
        """
        return self.host.strip("[]").rstrip(".")

    @property
    def redacted(self) -> str:
        """The URL without its query string and fragment: what logs and messages may hold."""
        return f"{self.scheme}://{self.host_header}{self.path}"


def parse_target(url: str) -> Target:
    """Parse an absolute http(s) URL, raising ``UrlForbidden`` for anything else."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise UrlForbidden(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if _UNSAFE_CHARACTERS.search(url):
        raise UrlForbidden("the URL holds whitespace, control characters or backslashes")
    try:
        parsed = parse_url(url)
    except LocationParseError:
        raise UrlForbidden("the URL is malformed") from None
    if parsed.scheme not in SCHEMES:
        raise UrlForbidden("only http and https URLs can be fetched")
    if parsed.auth is not None:
        raise UrlForbidden("URLs with user info (user@host) are not fetched")
    if not parsed.host or parsed.host == "[]":
        raise UrlForbidden("the URL has no host")
    if parsed.port == 0:
        raise UrlForbidden("the URL's port is 0")
    return Target(
        url=parsed.url,
        scheme=parsed.scheme,
        host=parsed.host,
        port=parsed.port or SCHEMES[parsed.scheme],
        request_target=parsed.request_uri,
        path=parsed.path or "/",
    )


def follow(target: Target, location: str) -> Target:
    """The target a redirect's ``Location`` (absolute or relative) points to."""
    try:
        joined = urljoin(target.url, location)
    except ValueError:  # e.g. "http://[::1" (an unclosed IPv6 literal)
        raise UrlForbidden("the redirect's Location is malformed") from None
    return parse_target(joined)

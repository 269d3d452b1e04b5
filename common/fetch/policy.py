"""What a URL fetch is allowed to do: time, bytes, redirects and which endpoints it may reach."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address

from common.errors import UrlForbidden
from common.fetch.addresses import IPAddress, is_public_address
from common.settings import Settings

Endpoint = tuple[str, int]  # (IP address in its canonical text form, TCP port)


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for one ``fetch_url`` call.

    ``timeout`` bounds the whole fetch (resolving, connecting, every redirect
    and every read), not each read. ``max_bytes`` caps the body, both the
    declared ``Content-Length`` and the bytes actually streamed.
    ``allow_private`` (``ALLOW_PRIVATE_URLS``) and ``allowed_endpoints``
    (``URL_TEST_ALLOWLIST``) exist for tests: the first turns the address
    check off, the second lets exact ``(ip, port)`` pairs through it.
    """

    timeout: float
    max_bytes: int
    max_redirects: int
    allow_private: bool = False
    allowed_endpoints: frozenset[Endpoint] = frozenset()

    def __post_init__(self) -> None:
        canonical = frozenset((str(ip_address(ip)), port) for ip, port in self.allowed_endpoints)
        object.__setattr__(self, "allowed_endpoints", canonical)

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchPolicy:
        """The policy the service uses: ``URL_FETCH_TIMEOUT``, ``MAX_UPLOAD_BYTES``, ..."""
        return cls(
            timeout=settings.URL_FETCH_TIMEOUT,
            max_bytes=settings.MAX_UPLOAD_BYTES,
            max_redirects=settings.URL_MAX_REDIRECTS,
            allow_private=settings.ALLOW_PRIVATE_URLS,
            allowed_endpoints=parse_endpoints(settings.URL_TEST_ALLOWLIST),
        )

    def check(self, host: str, address: IPAddress, port: int) -> None:
        """Raise ``UrlForbidden`` unless this policy lets a fetch connect to ``address:port``."""
        allowed = self.allow_private or (str(address), port) in self.allowed_endpoints
        if allowed or is_public_address(address):
            return
        if host.strip("[]") == str(address):
            raise UrlForbidden(f"{host} is not a public address")
        raise UrlForbidden(f"{host} resolves to {address}, which is not a public address")


def parse_endpoints(text: str) -> frozenset[Endpoint]:
    """Parse ``"127.0.0.1:8080, [::1]:9000"`` into ``{("127.0.0.1", 8080), ("::1", 9000)}``.

    Raises ``ValueError`` on an entry that is not ``ip:port``.
    """
    endpoints = set()
    for entry in filter(None, (part.strip() for part in text.split(","))):
        host, sep, port = entry.rpartition(":")
        if not sep or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"URL_TEST_ALLOWLIST entry {entry!r} is not ip:port")
        endpoints.add((str(ip_address(host.strip("[]"))), int(port)))
    return frozenset(endpoints)

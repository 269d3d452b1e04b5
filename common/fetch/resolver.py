"""Resolve a host name to the addresses a fetch may then check and connect to."""

from __future__ import annotations

import socket
import threading
from ipaddress import ip_address

from common.errors import Timeout, UrlFetchFailed
from common.fetch.addresses import IPAddress


def resolve(host: str, port: int, timeout: float) -> list[IPAddress]:
    """Every address the system resolver (``getaddrinfo``) gives for ``host``, in its order.

    Whatever the resolver accepts is resolved here once and only here: numeric
    forms such as ``127.1``, ``0x7f.1``, ``2130706433`` or ``0177.0.0.1``
    (``inet_aton``), names from ``/etc/hosts`` such as ``localhost``, and DNS.
    The caller checks these addresses and connects to them, never to the name,
    so a second, different answer (DNS rebinding) is never asked for.
    The lookup runs in a helper thread so that a stalled DNS server raises
    ``Timeout`` after ``timeout`` seconds instead of holding the caller.
    """
    outcome: list[list[tuple] | BaseException] = []

    def lookup() -> None:
        try:
            outcome.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as exc:
            outcome.append(exc)

    worker = threading.Thread(target=lookup, name="exifq-resolve", daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        raise Timeout(f"resolving {host} timed out")
    infos = outcome[0]
    if isinstance(infos, BaseException) or not infos:
        raise UrlFetchFailed(f"cannot resolve {host}")
    addresses = [ip_address(sockaddr[0]) for _, _, _, _, sockaddr in infos]
    return list(dict.fromkeys(addresses))

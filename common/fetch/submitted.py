"""What a URL input is refused for when it is submitted, before any network I/O.

The same rules the fetch applies, as far as they can be applied without
resolving a name: the parser (``urls.parse_target``: scheme, user info,
control characters, no host ...) and the address policy (``FetchPolicy.check``)
for a host that is an address: an IP literal, or a numeric form the resolver
reads without asking DNS (``127.1``, ``0x7f.1``, ``2130706433``, ``0177.0.0.1``:
``getaddrinfo`` with ``AI_NUMERICHOST``, the very call the fetch makes). A host
name is left to the worker, which checks every address it resolves to when it
fetches (DNS answers change; only those addresses are connected to).
"""

from __future__ import annotations

import socket
from ipaddress import ip_address

from common.fetch.addresses import IPAddress
from common.fetch.policy import FetchPolicy
from common.fetch.urls import Target, parse_target


def numeric_addresses(host: str, port: int) -> list[IPAddress]:
    """The addresses ``host`` stands for when it is numeric; none for a name."""
    flags = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=flags)
    except (OSError, UnicodeError, ValueError):
        return []
    return list(dict.fromkeys(ip_address(info[4][0]) for info in infos))


def check_submitted_url(url: str, policy: FetchPolicy) -> Target:
    """The parsed URL, or ``UrlForbidden`` for what the fetch would refuse anyway."""
    target = parse_target(url)
    for address in numeric_addresses(target.resolvable_host, target.port):
        policy.check(target.host, address, target.port)
    return target

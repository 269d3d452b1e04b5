"""Which IP addresses a URL input may reach: the SSRF address policy.

An address is *public* when it, and every IPv4 address it carries inside it,
is one the public internet routes to. Python's ``ipaddress`` flags alone are
not enough (3.11): ``::ffff:127.0.0.1`` is not ``is_loopback``, the 6to4
(``2002::/16``) and NAT64 (``64:ff9b::/96``) spellings of loopback are
``is_global``, ``100.64.0.0/10`` is neither private nor global, and multicast,
``fec0::/10`` and unassigned IPv6 space are ``is_global``. So we

1. unwrap the IPv6 forms that carry an IPv4 address (mapped, 6to4, NAT64) and
   judge the IPv4 address instead,
2. require ``is_global`` *and* absence from an explicit deny list built from
   the IANA special-purpose registries (RFC 6890,
   https://www.iana.org/assignments/iana-ipv4-special-registry/ and
   .../iana-ipv6-special-registry/), and
3. for IPv6, require the global unicast block ``2000::/3`` (RFC 4291 §2.4);
   everything outside it is loopback, link-local, unique-local, multicast,
   a deprecated form or unassigned.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network

IPAddress = IPv4Address | IPv6Address

DENIED_IPV4: tuple[IPv4Network, ...] = tuple(
    ip_network(net)
    for net in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host
        "10.0.0.0/8",  # private (RFC 1918)
        "100.64.0.0/10",  # carrier-grade NAT (RFC 6598); also Alibaba's metadata 100.100.100.200
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, with the cloud metadata service 169.254.169.254
        "172.16.0.0/12",  # private (RFC 1918)
        "192.0.0.0/24",  # IETF protocol assignments (Oracle Cloud metadata 192.0.0.192)
        "192.0.2.0/24",  # TEST-NET-1
        "192.88.99.0/24",  # deprecated 6to4 relay anycast (RFC 7526)
        "192.168.0.0/16",  # private (RFC 1918)
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # TEST-NET-2
        "203.0.113.0/24",  # TEST-NET-3
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, with the limited broadcast 255.255.255.255
        "168.63.129.16/32",  # Azure's host endpoint (WireServer): public-looking, host-only
    )
)

GLOBAL_UNICAST_IPV6 = IPv6Network("2000::/3")

DENIED_IPV6: tuple[IPv6Network, ...] = tuple(
    ip_network(net)
    for net in (
        "::/128",  # unspecified: reaches the local host
        "::1/128",  # loopback
        "::/96",  # deprecated IPv4-compatible addresses (RFC 4291 §2.5.5.1)
        "::ffff:0:0:0/96",  # SIIT IPv4-translated addresses (RFC 2765)
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215): a private IPv4 network behind it
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments, Teredo 2001::/32 among them
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation (RFC 9637)
        "5f00::/16",  # SRv6 SIDs (RFC 9602)
        "fc00::/7",  # unique-local, with AWS's metadata fd00:ec2::254
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
    )
)

IPV4_MAPPED = IPv6Network("::ffff:0:0/96")  # RFC 4291 §2.5.5.2
NAT64_WELL_KNOWN = IPv6Network("64:ff9b::/96")  # RFC 6052 §2.1
SIX_TO_FOUR = IPv6Network("2002::/16")  # RFC 3056 §2


def embedded_ipv4(address: IPAddress) -> IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, or ``None`` when it carries none.

    IPv4-mapped ``::ffff:a.b.c.d`` and NAT64 ``64:ff9b::a.b.c.d`` carry it in the
    low 32 bits (RFC 4291 §2.5.5.2, RFC 6052 §2.2); 6to4 ``2002:AABB:CCDD::/48``
    in bits 16–47 (RFC 3056 §2). Teredo (``2001::/32``) is not unwrapped: the
    whole of ``2001::/23`` is denied whatever it embeds.
    """
    if address.version == 4:
        return None
    plain = IPv6Address(int(address))  # drops a scope id ("%eth0")
    if plain in IPV4_MAPPED or plain in NAT64_WELL_KNOWN:
        return IPv4Address(int(plain) & 0xFFFF_FFFF)
    if plain in SIX_TO_FOUR:
        return IPv4Address((int(plain) >> 80) & 0xFFFF_FFFF)
    return None


def is_public_address(address: IPAddress) -> bool:
    """Whether a URL fetch may connect to ``address`` (see the module docstring)."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return _is_public_ipv4(inner)
    if address.version == 4:
        return _is_public_ipv4(address)
    return _is_public_ipv6(IPv6Address(int(address)))


def _is_public_ipv4(address: IPv4Address) -> bool:
    return address.is_global and not any(address in net for net in DENIED_IPV4)


def _is_public_ipv6(address: IPv6Address) -> bool:
    return (
        address in GLOBAL_UNICAST_IPV6
        and address.is_global
        and not any(address in net for net in DENIED_IPV6)
    )

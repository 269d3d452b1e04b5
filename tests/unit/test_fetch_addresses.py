"""The SSRF address policy against fixed cases and an independent oracle (hypothesis)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import UrlForbidden
from common.fetch.addresses import embedded_ipv4, is_public_address
from common.fetch.policy import FetchPolicy, parse_endpoints
from common.settings import load_settings

FORBIDDEN = [
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "100.64.0.1",  # CGNAT: neither is_private nor is_global in Python 3.11
    "100.100.100.200",  # Alibaba Cloud metadata
    "127.0.0.1",
    "127.255.255.254",
    "169.254.169.254",  # cloud metadata
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.192",  # Oracle Cloud metadata
    "192.0.2.1",
    "192.88.99.1",
    "192.168.1.1",
    "198.18.0.1",
    "198.51.100.1",
    "203.0.113.1",
    "224.0.0.1",  # multicast: is_global in Python 3.11
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "168.63.129.16",  # Azure host endpoint
    "::",
    "::1",
    "::127.0.0.1",  # deprecated IPv4-compatible
    "::ffff:127.0.0.1",  # IPv4-mapped: not is_loopback in Python 3.11
    "::ffff:7f00:1",
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "::ffff:0:127.0.0.1",  # SIIT IPv4-translated
    "64:ff9b::7f00:1",  # NAT64 loopback: is_global in Python 3.11
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::8.8.8.8",  # local-use NAT64
    "100::1",
    "2001::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2001:db8::1",
    "2002:7f00:1::1",  # 6to4 loopback: is_global in Python 3.11
    "2002:a9fe:a9fe::1",
    "2002:0a00:0001::",
    "3fff::1",
    "5f00::1",
    "fc00::1",
    "fd00:ec2::254",  # AWS metadata over IPv6
    "fe80::1",
    "fe80::1%eth0",
    "fec0::1",  # site-local: is_global in Python 3.11
    "ff02::1",  # multicast: is_global in Python 3.11
    "4000::1",  # unassigned: is_global in Python 3.11
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "100.63.255.255",
    "100.128.0.0",
    "172.32.0.1",
    "192.31.196.1",  # AS112, globally reachable per IANA
    "223.255.255.255",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
    "2002:808:808::1",
    "2620:4f:8000::1",
]


@pytest.mark.parametrize("text", FORBIDDEN)
def test_forbidden_addresses_are_not_public(text: str) -> None:
    assert not is_public_address(ip_address(text))


@pytest.mark.parametrize("text", PUBLIC)
def test_public_addresses_are_public(text: str) -> None:
    assert is_public_address(ip_address(text))


@pytest.mark.parametrize(
    ("wrapped", "inner"),
    [
        ("::ffff:127.0.0.1", "127.0.0.1"),
        ("::ffff:7f00:1", "127.0.0.1"),
        ("64:ff9b::169.254.169.254", "169.254.169.254"),
        ("2002:c0a8:0101:5::1", "192.168.1.1"),
        ("2606:4700::1", None),
        ("::1", None),
        ("10.0.0.1", None),
    ],
)
def test_embedded_ipv4_unwraps_mapped_nat64_and_6to4(wrapped: str, inner: str | None) -> None:
    expected = IPv4Address(inner) if inner else None
    assert embedded_ipv4(ip_address(wrapped)) == expected


# --- the oracle: written from the IANA registries, with integer arithmetic, sharing no
# code with common.fetch.addresses (no is_global, no ipv4_mapped/sixtofour properties).

# IPv4 special-purpose blocks that are not globally reachable, plus multicast (RFC 5771),
# the 6to4 relay anycast (RFC 7526) and the cloud endpoints we refuse.
ORACLE_V4_BLOCKED = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "168.63.129.16/32",
]
# Inside IPv6 global unicast 2000::/3: IETF protocol assignments (Teredo among them),
# documentation (two blocks). Everything outside 2000::/3 is blocked.
ORACLE_V6_BLOCKED = ["2001::/23", "2001:db8::/32", "3fff::/20"]


def _within(value: int, block: str, width: int) -> bool:
    base, prefix = block.split("/")
    shift = width - int(prefix)
    return value >> shift == int(ip_address(base)) >> shift


def oracle_is_public(address: IPv4Address | IPv6Address) -> bool:
    value = int(address)
    if address.version == 4:
        return not any(_within(value, block, 32) for block in ORACLE_V4_BLOCKED)
    if value >> 32 in (0xFFFF, 0x0064_FF9B << 64):  # ::ffff:a.b.c.d, 64:ff9b::a.b.c.d
        return oracle_is_public(IPv4Address(value & 0xFFFF_FFFF))
    if value >> 112 == 0x2002:  # 2002:AABB:CCDD::/48
        return oracle_is_public(IPv4Address((value >> 80) & 0xFFFF_FFFF))
    in_global_unicast = value >> 125 == 0b001
    return in_global_unicast and not any(_within(value, b, 128) for b in ORACLE_V6_BLOCKED)


def _mapped(v4: IPv4Address) -> IPv6Address:
    return IPv6Address((0xFFFF << 32) | int(v4))


def _nat64(v4: IPv4Address) -> IPv6Address:
    return IPv6Address((0x0064_FF9B << 96) | int(v4))


def _six_to_four(v4: IPv4Address, low_bits: int) -> IPv6Address:
    return IPv6Address((0x2002 << 112) | (int(v4) << 80) | low_bits)


ipv4s = st.ip_addresses(v=4)  # hypothesis boosts the IANA special-purpose blocks
addresses = st.one_of(
    st.ip_addresses(),
    ipv4s.map(_mapped),
    ipv4s.map(_nat64),
    st.builds(_six_to_four, ipv4s, st.integers(0, 2**80 - 1)),
    st.sampled_from(
        [
            "224.0.0.0/4",
            "168.63.129.0/24",
            "::/96",
            "::ffff:0:0:0/96",
            "64:ff9b:1::/48",
            "2000::/3",
            "3fff::/20",
            "4000::/2",
            "5f00::/16",
            "fec0::/10",
            "ff00::/8",
            "fe00::/9",
        ]
    ).flatmap(lambda block: st.ip_addresses(network=block)),
)


@settings(max_examples=600, deadline=None)
@given(addresses)
def test_address_policy_agrees_with_the_oracle(address: IPv4Address | IPv6Address) -> None:
    assert is_public_address(address) == oracle_is_public(address)


def test_oracle_agrees_on_the_fixed_cases() -> None:
    """The oracle itself is right where we know the answer."""
    assert not any(oracle_is_public(ip_address(t.split("%")[0])) for t in FORBIDDEN)
    assert all(oracle_is_public(ip_address(t)) for t in PUBLIC)


# --- the policy: the address check, the test-only escapes, the settings


def test_policy_check_refuses_a_private_address_and_names_it() -> None:
    policy = FetchPolicy(timeout=1, max_bytes=1, max_redirects=0)
    with pytest.raises(UrlForbidden, match=r"localhost resolves to 127\.0\.0\.1"):
        policy.check("localhost", ip_address("127.0.0.1"), 80)
    policy.check("dns.google", ip_address("8.8.8.8"), 443)


def test_allowed_endpoint_passes_only_for_its_exact_ip_and_port() -> None:
    policy = FetchPolicy(1, 1, 0, allowed_endpoints=frozenset({("0:0::1", 8080)}))
    assert policy.allowed_endpoints == {("::1", 8080)}
    policy.check("[::1]", ip_address("::1"), 8080)
    with pytest.raises(UrlForbidden):
        policy.check("[::1]", ip_address("::1"), 8081)
    with pytest.raises(UrlForbidden):
        policy.check("localhost", ip_address("127.0.0.1"), 8080)


def test_allow_private_turns_the_address_check_off() -> None:
    FetchPolicy(1, 1, 0, allow_private=True).check("x", ip_address("169.254.169.254"), 80)


def test_from_settings_reads_limits_and_parses_the_test_allowlist() -> None:
    settings = load_settings(
        URL_FETCH_TIMEOUT=7.5,
        MAX_UPLOAD_BYTES=1234,
        URL_MAX_REDIRECTS=2,
        URL_TEST_ALLOWLIST=" 127.0.0.1:8080, [::1]:9000 ,",
    )
    policy = FetchPolicy.from_settings(settings)
    assert policy == FetchPolicy(
        timeout=7.5,
        max_bytes=1234,
        max_redirects=2,
        allow_private=False,
        allowed_endpoints=frozenset({("127.0.0.1", 8080), ("::1", 9000)}),
    )
    assert FetchPolicy.from_settings(load_settings()).allowed_endpoints == frozenset()


@pytest.mark.parametrize("text", ["127.0.0.1", "localhost:80", "127.0.0.1:0", "1.2.3.4:x"])
def test_a_malformed_allowlist_entry_is_an_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_endpoints(text)

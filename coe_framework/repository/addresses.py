"""Which network addresses a server may clone from: public (global) ones only.

A repository URL names a host; CoE resolves it once, checks every address
here, and then pins git to exactly those addresses (``http.curloptResolve``),
so a name cannot resolve to something else by the time git connects.

An address is allowed only when Python calls it global (``is_global``), which
refuses loopback, private, link-local, shared (100.64.0.0/10, where cloud
metadata services live), benchmarking, documentation and reserved ranges,
and is not multicast (which ``is_global`` lets through).
IPv6 forms that carry an IPv4 address (IPv4-mapped, IPv4-compatible, 6to4,
Teredo, NAT64) are refused when the address they carry is not global, since
a gateway on the path may deliver them to it.
"""
from __future__ import annotations

import ipaddress
import re
import socket

from ..errors import BadInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Numeric IPv4 spellings that the C library (and curl) accept: decimal, octal, hex, 1–4 parts.
_NUMERIC_IPV4 = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}$", re.IGNORECASE)
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class AddressRefused(BadInput, ValueError):
    """A host is, or resolves to, an address a server must not connect to (one line).

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` spells, in any form the resolver would accept, or None for a name."""
    text = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if _NUMERIC_IPV4.match(text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def embedded_ipv4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, compatible, 6to4, Teredo, NAT64)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _NAT64_WELL_KNOWN or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _kind(ip: IPAddress) -> str | None:
    """A short name for why ``ip`` is not public, or None when it is."""
    for attr, label in (
        ("is_loopback", "a loopback"),
        ("is_link_local", "a link-local"),
        ("is_multicast", "a multicast"),
        ("is_unspecified", "an unspecified"),
        ("is_reserved", "a reserved"),
        ("is_private", "a private"),
    ):
        if getattr(ip, attr):
            return label
    if ip in _SHARED:
        return "a shared (carrier-grade NAT)"
    # is_global alone is not enough: Python calls multicast addresses global.
    return None if ip.is_global else "a non-public"


def refusal(ip: IPAddress) -> str | None:
    """Why ``ip`` is refused (``"a loopback address (127.0.0.1)"``), or None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address) and ip in _NAT64_LOCAL:
        return f"a local-use NAT64 address ({ip})"
    for inner in embedded_ipv4(ip):
        kind = _kind(inner)
        if kind:
            return f"{kind} address ({inner}, carried in {ip})"
    kind = _kind(ip)
    return f"{kind} address ({ip})" if kind else None


def resolve(host: str) -> list[IPAddress]:
    """Every address ``host`` resolves to (a literal resolves to itself); OSError when it does not."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    unique = {ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos}
    return sorted(unique, key=lambda ip: (ip.version, int(ip)))


def check_addresses(host: str, addresses: list[IPAddress]) -> None:
    """Raise :class:`AddressRefused` when any of ``addresses`` is not public."""
    for ip in addresses:
        reason = refusal(ip)
        if reason:
            raise AddressRefused(f"repository host '{host}' is {reason} and is not allowed")

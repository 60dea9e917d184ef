"""Where a webhook may go (SPEC §10): a public address of the internet, never the network the stack
runs in (the cloud's metadata service, the VPC, loopback), whatever the spelling of the address.

Two checks, because a name is only an address once resolved. At `PUT` the URL's host must be a
public IP literal, in any spelling a resolver accepts (`2852039166`, `0xa9fea9fe`, `10.1`,
`::ffff:169.254.169.254`), or a dotted name outside the internal namespaces (`*.internal`,
`localhost`, single labels such as `instance-data` that resolve through search domains). At delivery
the name is resolved once and every address it gives must be public; the connection then goes to
that checked address, so a second lookup cannot answer differently (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import re
import socket

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names that never leave the stack's own network: RFC 6761/6762/8375 special names, cloud internal
# zones (metadata.google.internal, *.ec2.internal, *.compute.internal), reverse-lookup zones.
INTERNAL_SUFFIXES = ("localhost", "local", "localdomain", "internal", "intranet", "lan", "home.arpa", "arpa")
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]*|[0-9]+")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class DestinationRefused(Exception):
    """The webhook's host is not (or does not resolve only to) a public address."""


def is_public(address: Address) -> bool:
    """A unicast address of the public internet; IPv6 forms that carry an IPv4 address (mapped,
    6to4, Teredo, NAT64) are judged by the IPv4 address they lead to."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public(embedded)
        if address.is_site_local:
            return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def ipv4_spelling(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address of `inet_aton`'s spellings (1 to 4 parts, each decimal, octal with a leading
    0 or hex with 0x; the last part fills the remaining bytes); None when `host` is not one.
    Raises ValueError for a spelling that is numeric but no address (`256.1`, `4294967296`, `08`)."""
    parts = host.split(".")
    if len(parts) > 4 or not all(_NUMBER.fullmatch(part) for part in parts):
        return None
    numbers = [_number(part) for part in parts]
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        raise ValueError(f"IPv4 number out of range: {host}")
    value = last
    for position, n in enumerate(leading):
        value += n << (8 * (3 - position))
    return ipaddress.IPv4Address(value)


def _number(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)  # `08` is no number: ValueError
    return int(part)


def host_allowed(host: str) -> bool:
    """The `PUT` check of a webhook URL's host (as `urlsplit(...).hostname` gives it: lower case,
    without brackets or userinfo)."""
    if ":" in host:  # an IPv6 literal; a zone (`%eth0`) only exists on link-local addresses
        try:
            return is_public(ipaddress.IPv6Address(host))
        except ValueError:
            return False
    try:  # what a resolver would look up: unicode look-alikes (fullwidth digits) folded to ASCII
        name = host.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        return False
    if not name:
        return False
    try:
        literal = ipv4_spelling(name)
    except ValueError:
        return False
    if literal is not None:
        return is_public(literal)
    labels = name.split(".")
    if _NUMBER.fullmatch(labels[-1]):
        return False  # ends in a number: an IPv4 spelling to a URL parser, never a public name
    if len(labels) < 2:
        return False
    return not any(name == suffix or name.endswith("." + suffix) for suffix in INTERNAL_SUFFIXES)


def resolve(host: str, port: int, allow_loopback: bool) -> tuple[int, str]:
    """Resolve `host` once; (family, address) of the first address when every address it resolves to
    is public (or loopback, when `allow_loopback`); else DestinationRefused, before any connection."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise DestinationRefused(f"webhook host does not resolve: {type(error).__name__}") from None
    found: list[tuple[int, str]] = []
    for family, _, _, _, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]
        address = ipaddress.ip_address(text)
        if not (is_public(address) or (allow_loopback and address.is_loopback)):
            raise DestinationRefused("webhook host resolves to an address that is not public")
        found.append((family, text))
    if not found:
        raise DestinationRefused("webhook host resolves to no address")
    return found[0]

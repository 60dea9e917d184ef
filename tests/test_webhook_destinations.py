"""Where a webhook may go (SPEC §10, issue 22): `PUT` refuses a `webhook_url` whose host is not public
in any spelling; delivery resolves the name once, refuses a non-public answer before any connection,
connects to the address it checked, and never follows a redirect.

No test sends a packet outside 127.0.0.0/8: names are resolved by a stub (`socket.getaddrinfo`
monkeypatched), and `socket.create_connection` fails the test (or records and refuses) wherever a
connection must not be opened."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alerts_support import Receiver, SignalFeed
from fleetreport.alerts.destination import host_allowed, ipv4_spelling
from groups_support import make_app
from test_alert_delivery import dead_letters, deliver_all, emitted

NOW = datetime(2026, 11, 30, 15, 20, tzinfo=UTC)


def fullwidth(digits: str) -> str:
    """`169` in fullwidth digits: the IDNA folding a resolver applies turns them back into `169`."""
    return "".join(chr(0xFF10 + int(d)) for d in digits)


INVALID = (400, {"error": "invalid webhook_url"})

# Every spelling of an address the stack's own network answers: metadata, loopback, private,
# link-local, CGN, unique-local, multicast, reserved, unspecified — and names that lead there.
REFUSED_URLS = [
    "https://169.254.169.254/latest/meta-data/",
    "https://2852039166/",  # 169.254.169.254 as one decimal number
    "https://0xa9fea9fe/",  # ... as hex
    "https://0xA9.0xFE.0xA9.0xFE/",
    "https://0251.0376.0251.0376/",  # ... as octal parts
    "https://169.254.43518/",  # ... with the last part filling two bytes
    "https://10.0.0.1/hook",
    "https://10.1/hook",  # 10.0.0.1, short form
    "https://012.1/hook",
    "https://127.0.0.1/hook",
    "https://127.1/",
    "https://0x7f000001/",
    "https://2130706433/",
    "https://0/",
    "https://0.0.0.0/",
    "https://172.16.5.4/",
    "https://192.168.1.1/",
    "https://100.64.0.1/",  # carrier-grade NAT
    "https://100.100.100.200/",  # Alibaba's metadata service
    "https://198.18.0.1/",  # benchmarking
    "https://224.0.0.1/",  # multicast
    "https://240.0.0.1/",  # reserved
    "https://255.255.255.255/",
    "https://192.0.2.1/",  # documentation
    "https://[::1]/hook",
    "https://[::]/",
    "https://[::ffff:169.254.169.254]/",  # IPv4-mapped
    "https://[::ffff:a9fe:a9fe]/",
    "https://[::ffff:10.0.0.1]/",
    "https://[::127.0.0.1]/",  # IPv4-compatible (deprecated, reserved)
    "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 of the metadata address
    "https://[2002:a9fe:a9fe::1]/",  # 6to4 of the metadata address
    "https://[fd00::1]/",  # unique-local
    "https://[fc00::1]/",
    "https://[fe80::1]/",  # link-local
    "https://[fe80::1%25eth0]/",
    "https://[fec0::1]/",  # site-local (deprecated)
    "https://[ff02::1]/",  # multicast
    "https://[fd00:ec2::254]/",  # the EC2 metadata service over IPv6
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://METADATA.GOOGLE.INTERNAL./computeMetadata/v1/",
    "https://metadata/",
    "https://instance-data/latest/",
    "https://instance-data.ec2.internal/",
    "https://ip-10-0-0-1.ec2.internal/",
    "https://localhost/",
    "https://localhost./",
    "https://api.localhost/",
    "https://printer.local/",
    "https://router.home.arpa/",
    "https://254.169.254.169.in-addr.arpa/",
    "https://169.254.169.254./",  # a trailing dot
    "https://169.254.169.254../",
    "https://hooks.example.com@169.254.169.254/",  # userinfo: the host is what follows the @
    "https://hooks.example.com:pw@10.0.0.1/",
    "https://" + ".".join(fullwidth(n) for n in ("169", "254", "169", "254")) + "/",  # the metadata address
    "https://256.1.1.1/",  # numeric but no address
    "https://4294967296/",
    "https://08.1.1.1/",
    "https://example.123/",  # ends in a number: an IPv4 spelling to a URL parser
    "https://[not-an-address]/",
    "https://a..b.example.com/",
    "https://" + "a" * 64 + ".example.com/",  # a label longer than DNS allows
]
ACCEPTED_URLS = [
    "https://hooks.slack.com/services/T000/B000/xyz",
    "https://hooks.example.com./x",  # a trailing dot on a public name
    "https://HOOKS.Example.COM:8443/x?a=1",
    "https://93.184.216.34/x",
    "https://1.1.1.1/",
    "https://[2606:4700:4700::1111]/",
    "https://0x5db8d822/",  # 93.184.216.34 in hex: odd but public
    "https://bücher.example/",  # IDN
]


def put_rules(stack: Any, app_id: str, url: str) -> Any:
    headers = stack.auth(role="admin", owner="t1")
    return stack.http("PUT", f"/apps/{app_id}/alerts", headers=headers, body={"webhook_url": url})


@pytest.fixture
def no_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    """PUT checks the URL as written: it never resolves a name (nor connects anywhere)."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"no lookup or connection expected: {args}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_put_refuses_a_webhook_url_whose_host_is_not_public(stack: Any, no_lookups: None, url: str) -> None:
    app_id, _ = make_app(stack, tenant="t1")
    answer = put_rules(stack, app_id, url)
    assert (answer.status, answer.json()) == INVALID, url


@pytest.mark.parametrize("url", ACCEPTED_URLS)
def test_put_accepts_public_hosts_in_any_spelling(stack: Any, no_lookups: None, url: str) -> None:
    app_id, _ = make_app(stack, tenant="t1")
    answer = put_rules(stack, app_id, url)
    assert (answer.status, answer.json()["webhook_url"]) == (200, url)


@pytest.mark.parametrize(
    ("spelling", "address"),
    [
        ("2852039166", "169.254.169.254"),
        ("0xa9fea9fe", "169.254.169.254"),
        ("0251.0376.0251.0376", "169.254.169.254"),
        ("169.254.43518", "169.254.169.254"),
        ("10.1", "10.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0", "0.0.0.0"),  # noqa: S104 - an address read, not bound
        ("1.2.3.4", "1.2.3.4"),
    ],
)
def test_ipv4_spellings_read_as_the_resolver_reads_them(spelling: str, address: str) -> None:
    """The same reading as `inet_aton` (glibc's resolver accepts all of these as literals)."""
    assert ipv4_spelling(spelling) == ipaddress.IPv4Address(address)
    assert socket.inet_aton(spelling) == ipaddress.IPv4Address(address).packed


def test_names_are_not_ipv4_spellings() -> None:
    assert [ipv4_spelling(h) for h in ("example.com", "1.2.3.4.5", "1e3", "0x1g")] == [None] * 4
    assert host_allowed("hooks.example.com") and not host_allowed("hooks")


def test_the_local_stack_keeps_http_to_loopback_only(stack: Any, settings_env: Any) -> None:
    settings_env(ALERTS_ALLOW_HTTP_LOOPBACK="true")
    app_id, _ = make_app(stack, tenant="t1")
    assert put_rules(stack, app_id, "http://127.0.0.1:9000/hook").status == 200
    assert put_rules(stack, app_id, "http://localhost:9000/hook").status == 200
    for url in ("http://10.0.0.1/hook", "http://2130706433/", "http://169.254.169.254/", "http://[fd00::1]/"):
        assert (put_rules(stack, app_id, url).status, url) == (400, url)
    assert put_rules(stack, app_id, "https://127.0.0.1/hook").json() == INVALID[1]  # https: never loopback


# ---------------------------------------------------------------------- at delivery
class Resolver:
    """A stub for `socket.getaddrinfo`: each name answers the addresses given (then the next answer,
    for a rebinding name); every lookup of a name is recorded. An address is its own answer (as
    `create_connection` asks for the pinned one)."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    def __call__(self, host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host in self.answers:
            self.lookups.append(host)
            sequence = self.answers[host]
            addresses = sequence[min(len(self.lookups) - 1, len(sequence) - 1)]
        else:
            addresses = [str(ipaddress.ip_address(host))]  # a literal: no lookup (ValueError otherwise)
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, int(port)))
            for a in addresses
        ]


class Connections:
    """A stand-in for `socket.create_connection`: records where delivery connects and refuses it, so
    no packet leaves; or, with `forbidden`, fails the test on any call."""

    def __init__(self, forbidden: bool) -> None:
        self.forbidden = forbidden
        self.targets: list[tuple[str, int]] = []

    def __call__(self, address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        assert not self.forbidden, f"a connection was opened to {address}"
        self.targets.append(address)
        raise ConnectionRefusedError("refused by the test")


@pytest.fixture
def hooked(stack: Any) -> dict[str, Any]:
    """An app whose rules send every signal to https://hooks.example.com/hook."""
    app_id, _ = make_app(stack, tenant="t1")
    assert put_rules(stack, app_id, "https://hooks.example.com/hook").status == 200
    return {"app_id": app_id, "feed": SignalFeed(stack, "t1", app_id)}


def stub_network(monkeypatch: pytest.MonkeyPatch, answers: list[list[str]], forbidden: bool) -> Any:
    resolver, connections = Resolver({"hooks.example.com": answers}), Connections(forbidden)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    monkeypatch.setattr(socket, "create_connection", connections)
    return resolver, connections


@pytest.mark.parametrize(
    "addresses",
    [
        ["10.0.0.5"],
        ["169.254.169.254"],
        ["127.0.0.1"],
        ["::1"],
        ["::ffff:169.254.169.254"],
        ["fd00::1"],
        ["fe80::1%eth0"],
        ["93.184.216.34", "10.0.0.5"],  # one private answer among public ones is enough
    ],
)
def test_a_name_that_resolves_to_a_private_address_is_a_failed_delivery_without_a_connection(
    stack: Any,
    hooked: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    addresses: list[str],
) -> None:
    resolver, _ = stub_network(monkeypatch, [addresses], forbidden=True)
    hooked["feed"].report(NOW)
    capsys.readouterr()
    deliver_all(stack, rounds=1)
    assert resolver.lookups == ["hooks.example.com"]
    assert emitted(capsys.readouterr().out, "WebhookDeliveryFailures") == [1]
    deliver_all(stack)
    (dead,) = dead_letters(stack)  # retried like any failed delivery, then dead-lettered
    assert dead["detail-type"] == "group.new"


def test_delivery_connects_to_the_address_it_checked_not_to_a_second_lookup(
    stack: Any, hooked: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name answers a public address to the check, then 169.254.169.254. One
    lookup per attempt, and the connection goes to the public address that was checked."""
    resolver, connections = stub_network(
        monkeypatch, [["93.184.216.34"], ["169.254.169.254"]], forbidden=False
    )
    hooked["feed"].report(NOW)
    deliver_all(stack, rounds=1)
    assert resolver.lookups == ["hooks.example.com"]
    assert connections.targets == [("93.184.216.34", 443)]


def test_the_checked_address_is_dialled_while_host_names_the_url(
    stack: Any, settings_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pinned for real on loopback: http://localhost resolves (stub) to 127.0.0.1 only; the receiver
    there gets the request with `Host: localhost:<port>`."""
    settings_env(ALERTS_ALLOW_HTTP_LOOPBACK="true")
    receiver = Receiver()
    try:
        port = receiver.server.server_port
        app_id, _ = make_app(stack, tenant="t1")
        assert put_rules(stack, app_id, f"http://localhost:{port}/hook").status == 200
        resolver = Resolver({"localhost": [["127.0.0.1"]]})
        monkeypatch.setattr(socket, "getaddrinfo", resolver)
        SignalFeed(stack, "t1", app_id).report(NOW)
        deliver_all(stack)
        ((headers, _),) = receiver.requests
        assert headers["host"] == f"localhost:{port}" and resolver.lookups == ["localhost"]
    finally:
        receiver.close()


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    first, second = Receiver(), Receiver()
    yield first, second
    first.close()
    second.close()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_failed_delivery_never_followed(
    stack: Any,
    settings_env: Any,
    receivers: tuple[Receiver, Receiver],
    capsys: pytest.CaptureFixture[str],
    status: int,
) -> None:
    settings_env(ALERTS_ALLOW_HTTP_LOOPBACK="true")
    bouncer, target = receivers
    bouncer.status, bouncer.location = status, target.url
    app_id, _ = make_app(stack, tenant="t1")
    assert put_rules(stack, app_id, bouncer.url).status == 200
    SignalFeed(stack, "t1", app_id).report(NOW)
    capsys.readouterr()
    deliver_all(stack, rounds=1)
    assert emitted(capsys.readouterr().out, "WebhookDeliveryFailures") == [1]
    deliver_all(stack)
    assert len(bouncer.requests) >= 2 and target.requests == []  # every attempt bounced, none followed
    (dead,) = dead_letters(stack)
    assert dead["detail-type"] == "group.new"

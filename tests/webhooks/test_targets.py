"""Webhook SSRF: each attempt resolves the host once, checks every address, and connects only to the checked
addresses, keeping the URL's host name for the Host header, TLS SNI and certificate verification. IPv6
forms that embed a private IPv4 address are refused when subscribing and when delivering.

The tests control name resolution (:class:`ScriptedResolver`) and what lies beyond 127.0.0.1
(:class:`LoopbackInternet` routes a test "public" address to a receiver on 127.0.0.1) through the same
:class:`DeliveryNetwork` the process's services carry; the delivery code is Fixdesk's own.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import AsyncIterator, Callable, Iterator

import httpcore
import httpx
import pytest
import trustme

from fixdesk.config import Settings
from fixdesk.webhooks.targets import (
    NETWORK_KEY,
    DeliveryNetwork,
    PinnedNetworkBackend,
    forbidden_reason,
    resolve_target,
)
from tests.conftest import make_settings
from tests.factories import make_user
from tests.webhooks.network import LoopbackInternet, ScriptedResolver
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_deliveries import deliveries, new_repair, subscribe, verify

PUBLIC = "93.184.215.14"  # a globally routable address; in these tests it leads to a receiver on 127.0.0.1

NOT_ROUTED = frozenset({"a private address", "a reserved address", "a non-public address"})
# IPv6 forms embedding a private, loopback or link-local IPv4 address, with what the refusal must say.
EMBEDDING_FORMS = [
    ("2002:7f00:1::1", "6to4 address (2002::/16) embedding 127.0.0.1, a loopback address"),
    ("2002:a00:1::", "6to4 address (2002::/16) embedding 10.0.0.1, a private address"),
    ("64:ff9b::a9fe:a9fe", "NAT64 address (64:ff9b::/96) embedding 169.254.169.254, a link-local address"),
    ("64:ff9b:1::a00:1", "local-use NAT64 address (64:ff9b:1::/48)"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo address (2001::/32) embedding 127.0.0.1"),
    ("::ffff:127.0.0.1", "IPv4-mapped address (::ffff:0:0/96) embedding 127.0.0.1, a loopback address"),
    ("::ffff:0:192.168.1.1", "IPv4-translated address (::ffff:0:0:0/96) embedding 192.168.1.1, a private"),
    ("::10.0.0.1", "IPv4-compatible address (::/96) embedding 10.0.0.1, a private address"),
]


@pytest.fixture
async def strict_settings(database_url: str, tmp_path) -> Settings:
    """The production default: private webhook addresses refused."""
    return make_settings(database_url, tmp_path, webhooks_allow_private=False)


@pytest.fixture
async def strict_client(app, strict_settings, database, services) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app with private addresses refused, checking URLs with ``services``' network (the
    lifespan puts the process's services on ``app.state`` the same way)."""
    application = database.app(strict_settings)
    application.state.services = services
    transport = httpx.ASGITransport(app=application, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    """Starts receivers on demand and stops them all afterwards."""
    started: list[Receiver] = []

    def start(tls: ssl.SSLContext | None = None) -> Receiver:
        started.append(Receiver(tls).start())
        return started[-1]

    yield start
    for receiver in started:
        receiver.stop()


def use_network(services, resolver, backend=None, ssl_context=None) -> None:
    services.extras[NETWORK_KEY] = DeliveryNetwork(resolve=resolver, backend=backend, ssl_context=ssl_context)


# --- the address rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("address", "reason"), EMBEDDING_FORMS)
def test_ipv6_forms_embedding_a_private_ipv4_address_are_refused(address, reason):
    assert reason in forbidden_reason(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("fc00::1", "a unique-local address"),
        ("fd12:3456::1", "a unique-local address"),
        ("fec0::1", "a site-local address"),
        ("fe80::1", "a link-local address"),
        ("ff02::1", "a multicast address"),
        ("::", "the unspecified address"),
        ("::1", "a loopback address"),
        # Which of these words applies depends on the Python version's IANA tables; all are refused.
        ("100::1", NOT_ROUTED),  # discard-only
        ("2001:db8::1", NOT_ROUTED),  # documentation
        ("100.64.0.1", NOT_ROUTED),  # carrier-grade NAT
        ("240.0.0.1", NOT_ROUTED),
        ("192.0.2.1", NOT_ROUTED),  # documentation
    ],
)
def test_other_non_public_addresses_say_why(address, reason):
    found = forbidden_reason(ipaddress.ip_address(address))
    assert found in reason if isinstance(reason, frozenset) else found == reason


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "2606:4700:4700::1111", "64:ff9b::808:808", "::ffff:8.8.8.8", "2002:808:808::1"]
)
def test_public_addresses_and_forms_embedding_a_public_ipv4_are_accepted(address):
    assert forbidden_reason(ipaddress.ip_address(address)) is None


async def test_every_resolved_address_is_checked():
    resolver = ScriptedResolver({"mixed.test": [[PUBLIC, "::ffff:10.0.0.1"]]})
    with pytest.raises(Exception, match=r"resolves to ::ffff:a00:1, an IPv4-mapped address"):
        await resolve_target(
            "https://mixed.test/hooks", network=DeliveryNetwork(resolve=resolver), allow_private=False
        )


async def test_the_pinned_backend_connects_to_nothing_but_the_checked_addresses():
    internet = LoopbackInternet()
    resolver = ScriptedResolver({"hooks.test": [[PUBLIC]]})
    target = await resolve_target(
        "http://hooks.test:8080/x", network=DeliveryNetwork(resolve=resolver), allow_private=False
    )
    backend = PinnedNetworkBackend(target, internet)

    for host, port in [("127.0.0.1", 8080), ("hooks.test", 80), ("other.test", 8080)]:
        with pytest.raises(httpcore.ConnectError, match="Refused to connect"):
            await backend.connect_tcp(host, port)
    assert internet.connections == []
    with pytest.raises(httpcore.ConnectError, match="unreachable"):
        await backend.connect_tcp("hooks.test", 8080)
    assert internet.connections == [(PUBLIC, 8080)]


# --- DNS rebinding ---------------------------------------------------------------------------------------


async def test_a_host_rebinding_to_127_0_0_1_never_reaches_it(
    app, client, strict_client, sessionmaker, services, jobs, strict_settings, receivers
):
    internal = receivers()  # a service on 127.0.0.1 the subscriber wants to reach
    public = receivers()  # what the public address leads to
    port = internal.port
    # Public for the subscription's check and the first delivery, then 127.0.0.1.
    resolver = ScriptedResolver({"rebind.test": [[PUBLIC], [PUBLIC], ["127.0.0.1"]]})
    internet = LoopbackInternet({(PUBLIC, port): public.port})
    use_network(services, resolver, internet)
    admin = await make_user(app, sessionmaker, "admin")
    hook = await subscribe(strict_client, admin, f"http://rebind.test:{port}/hooks", ["repair.created"])
    assert len(resolver.calls) == 1

    await new_repair(app, client, sessionmaker, admin)
    await jobs.drain(strict_settings)

    (request,) = public.posts("/hooks")
    assert request.headers["host"] == f"rebind.test:{port}"
    assert verify(request, hook["secret"])["event"] == "repair.created"
    assert len(resolver.calls) == 2  # one lookup for the attempt; the HTTP client made none

    # The next attempt finds 127.0.0.1: refused, recorded, nothing sent.
    ping = await strict_client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=admin.headers)
    assert ping.status_code == 202, ping.text
    await jobs.drain(strict_settings)

    assert resolver.calls == [("rebind.test", port)] * 3
    assert internal.requests == []
    assert internet.connections == [(PUBLIC, port)]
    log = {item["event"]: item for item in (await deliveries(client, admin, hook["id"]))["items"]}
    assert log["repair.created"]["status"] == "delivered"
    refused = log["webhook.test"]
    assert refused["status"] == "failed"
    assert refused["lastError"].startswith(
        "Refused: The host rebind.test resolves to 127.0.0.1, a loopback address"
    )
    assert refused["attemptLog"][0]["statusCode"] is None


# --- IPv6 forms when subscribing and when delivering -----------------------------------------------------


async def test_ipv6_forms_embedding_a_private_ipv4_are_refused_when_subscribing(
    app, strict_client, sessionmaker
):
    admin = await make_user(app, sessionmaker, "admin")
    for address, reason in EMBEDDING_FORMS:
        response = await strict_client.post(
            "/api/v1/webhooks",
            json={"url": f"https://[{address}]/hooks", "events": ["*"]},
            headers=admin.headers,
        )
        assert response.status_code == 400, (address, response.text)
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert problem["code"] == "VALIDATION_ERROR"
        assert problem["errors"][0]["field"] == "url"
        assert reason in problem["errors"][0]["message"], problem
        assert "FIXDESK_WEBHOOKS_ALLOW_PRIVATE" in problem["detail"]
    assert (await strict_client.get("/api/v1/webhooks", headers=admin.headers)).json()["total"] == 0


async def test_a_name_resolving_to_an_embedding_form_is_refused_when_subscribing(
    app, strict_client, sessionmaker, services
):
    use_network(services, ScriptedResolver({"sneaky.test": [[PUBLIC, "64:ff9b::7f00:1"]]}))
    admin = await make_user(app, sessionmaker, "admin")

    response = await strict_client.post(
        "/api/v1/webhooks", json={"url": "https://sneaky.test/hooks", "events": ["*"]}, headers=admin.headers
    )

    assert response.status_code == 400
    assert "NAT64 address (64:ff9b::/96) embedding 127.0.0.1" in response.json()["detail"]


async def test_ipv6_forms_embedding_a_private_ipv4_are_refused_when_delivering(
    app, client, sessionmaker, services, jobs, strict_settings, receiver
):
    names = {f"form{index}.test": address for index, (address, _) in enumerate(EMBEDDING_FORMS)}
    resolver = ScriptedResolver({name: [[address]] for name, address in names.items()})
    # Were any of them connected to, the request would land on the receiver.
    internet = LoopbackInternet({(address, receiver.port): receiver.port for address in names.values()})
    use_network(services, resolver, internet)
    admin = await make_user(app, sessionmaker, "admin")
    # Subscribed while private addresses were allowed (no lookup then); delivered with them refused.
    hooks = {
        name: await subscribe(client, admin, f"http://{name}:{receiver.port}/hooks", ["repair.created"])
        for name in names
    }
    await new_repair(app, client, sessionmaker, admin)

    await jobs.drain(strict_settings)

    assert receiver.requests == []
    assert internet.connections == []
    for (name, hook), (address, reason) in zip(hooks.items(), EMBEDDING_FORMS, strict=True):
        (item,) = (await deliveries(client, admin, hook["id"]))["items"]
        assert item["status"] == "failed", name
        assert item["attempts"] == 1
        error = item["lastError"]
        assert error.startswith(f"Refused: The host {name} resolves to {ipaddress.ip_address(address)}, "), (
            error
        )
        assert reason in error


# --- the pinned connection keeps the host name -----------------------------------------------------------


async def test_a_delivery_by_name_reaches_the_server_with_its_host_header(
    app, client, sessionmaker, services, jobs, receiver
):
    resolver = ScriptedResolver({"hooks.test": [["127.0.0.1"]]})
    use_network(services, resolver)  # real sockets; private addresses allowed by these tests' settings
    admin = await make_user(app, sessionmaker, "admin")
    hook = await subscribe(client, admin, f"http://hooks.test:{receiver.port}/hooks", ["repair.created"])
    await new_repair(app, client, sessionmaker, admin)

    await jobs.drain()

    (request,) = receiver.posts("/hooks")
    assert request.headers["host"] == f"hooks.test:{receiver.port}"
    verify(request, hook["secret"])
    assert resolver.calls == [("hooks.test", receiver.port)]
    (item,) = (await deliveries(client, admin, hook["id"]))["items"]
    assert item["status"] == "delivered"


async def test_tls_uses_the_host_name_for_sni_and_certificate_verification(
    app, client, sessionmaker, services, jobs, receivers
):
    authority = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("hooks.test").configure_cert(server_tls)
    server = receivers(server_tls)
    client_tls = ssl.create_default_context()
    authority.configure_trust(client_tls)
    # Both names lead to the same server, whose certificate names only hooks.test.
    resolver = ScriptedResolver({"hooks.test": [["127.0.0.1"]], "other.test": [["127.0.0.1"]]})
    use_network(services, resolver, ssl_context=client_tls)
    admin = await make_user(app, sessionmaker, "admin")
    good = await subscribe(client, admin, f"https://hooks.test:{server.port}/hooks", ["repair.created"])
    wrong = await subscribe(client, admin, f"https://other.test:{server.port}/other", ["repair.created"])
    await new_repair(app, client, sessionmaker, admin)

    await jobs.drain()

    (request,) = server.posts()
    assert request.path == "/hooks"
    assert request.headers["host"] == f"hooks.test:{server.port}"
    verify(request, good["secret"])
    assert sorted(server.server_names) == ["hooks.test", "other.test"]
    (delivered,) = (await deliveries(client, admin, good["id"]))["items"]
    assert delivered["status"] == "delivered"
    (refused,) = (await deliveries(client, admin, wrong["id"]))["items"]
    assert refused["status"] == "pending"  # a certificate problem may be fixed: retried later
    assert "CERTIFICATE_VERIFY_FAILED" in refused["lastError"]
    assert "other.test" in refused["lastError"]

"""Where webhook deliveries may go, and how they get there with the address that was checked.

A webhook URL names a host chosen by whoever manages webhooks. Resolving the name to check it and then
letting the HTTP client resolve it again would let a DNS server answer a public address to the check and
``127.0.0.1`` to the client (DNS rebinding). So each attempt resolves the host **once**
(:func:`resolve_target`), checks **every** address of the answer (:func:`forbidden_reason`), and connects
only to those checked addresses (:class:`PinnedNetworkBackend`). The URL keeps its host name, so the
``Host`` header, TLS SNI and certificate verification are for the name the subscriber gave, not for an IP.

Name resolution and TCP connections come from a :class:`DeliveryNetwork`: the system's resolver and
httpcore's socket backend in production; tests substitute a resolver they control (and a backend that
routes test "public" addresses to servers on 127.0.0.1) through the process's services.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

from fixdesk.platform.tls import default_ssl_context

RESOLVE_TIMEOUT_SECONDS = 5.0
NETWORK_KEY = "webhooks.network"
"""Key of ``Services.extras`` holding the :class:`DeliveryNetwork` (absent: :data:`SYSTEM_NETWORK`)."""

ALLOW_PRIVATE_HINT = "FIXDESK_WEBHOOKS_ALLOW_PRIVATE=true allows it"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""``resolve(host, port)``: every IP address (as text) the host name resolves to. Raises ``OSError`` (or
``TimeoutError``) when it cannot be resolved."""


class UnsafeTarget(Exception):
    """The URL may not receive deliveries. ``permanent`` is False when retrying later may help (DNS)."""

    def __init__(self, message: str, *, permanent: bool = True) -> None:
        super().__init__(message)
        self.permanent = permanent


# -- which addresses are refused --------------------------------------------------------------------------

# RFC 6052 well-known NAT64 prefix: the IPv4 address is the last 32 bits. Judged by that IPv4 address, so
# IPv6-only networks with DNS64 can still reach public IPv4 endpoints.
NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
# RFC 8215 local-use NAT64 prefix: where the IPv4 address sits depends on the operator's prefix length,
# and it is not globally routable anyway, so it is always refused.
NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
# RFC 2765 (SIIT) IPv4-translated addresses ::ffff:0:a.b.c.d.
IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
# RFC 4291 deprecated IPv4-compatible addresses ::a.b.c.d (:: and ::1 included: they embed 0.0.0.x).
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 transition address carries, with the form's name, or None."""
    if address.ipv4_mapped is not None:
        return "an IPv4-mapped address (::ffff:0:0/96)", address.ipv4_mapped
    if address in IPV4_TRANSLATED:
        return "an IPv4-translated address (::ffff:0:0:0/96)", ipaddress.IPv4Address(
            int(address) & 0xFFFFFFFF
        )
    if address in IPV4_COMPATIBLE:
        return "an IPv4-compatible address (::/96)", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in NAT64_WELL_KNOWN:
        return "a NAT64 address (64:ff9b::/96)", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return "a 6to4 address (2002::/16)", address.sixtofour
    return None


def _kind(address: Address) -> str | None:
    """What makes ``address`` non-public, in words, or None for a globally routable unicast address."""
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv6Address):
        if address in UNIQUE_LOCAL:
            return "a unique-local address"
        if address.is_site_local:
            return "a site-local address"
    if address.is_private:
        return "a private address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "a non-public address"
    return None


def forbidden_reason(address: Address) -> str | None:
    """Why ``address`` may not receive webhooks, or None when it is a public unicast address.

    Refused: private, loopback, link-local, unique-local, site-local, multicast, reserved, unspecified and
    every other address that is not globally routable (Python's ``ipaddress`` tables, from the IANA
    special-purpose registries). IPv6 forms that embed an IPv4 address are judged by that IPv4 address
    (IPv4-mapped, IPv4-translated, IPv4-compatible, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``), so
    ``2002:7f00:1::`` is refused as 127.0.0.1 is. Teredo (``2001::/32``) and local-use NAT64
    (``64:ff9b:1::/48``) are always refused: the address actually reached cannot be told from the outside.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_unspecified or address.is_loopback:
            return _kind(address)  # :: and ::1, not "IPv4-compatible" forms of 0.0.0.0 and 0.0.0.1
        if address.teredo is not None:
            server, client = address.teredo
            return f"a Teredo address (2001::/32) embedding {client} (Teredo server {server})"
        if address in NAT64_LOCAL_USE:
            return "a local-use NAT64 address (64:ff9b:1::/48)"
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            form, ipv4 = embedded
            kind = _kind(ipv4)
            if kind is not None:
                return f"{form} embedding {ipv4}, {kind}"
            if form.startswith("a 6to4"):
                return _kind(address)  # a public relay address: judged as itself
            return None  # the packet goes to the public IPv4 address inside
    return _kind(address)


def is_forbidden_address(address: Address) -> bool:
    """True when :func:`forbidden_reason` refuses ``address``."""
    return forbidden_reason(address) is not None


# -- name resolution and the network ----------------------------------------------------------------------


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, through the event loop's resolver (``getaddrinfo``)."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


@dataclass(frozen=True)
class DeliveryNetwork:
    """How deliveries reach their endpoints: name resolution, TCP connections and TLS trust.

    ``backend`` None is httpcore's socket backend; ``ssl_context`` None trusts the usual CA bundle.
    """

    resolve: Resolver = system_resolver
    backend: httpcore.AsyncNetworkBackend | None = None
    ssl_context: ssl.SSLContext | None = field(default=None, compare=False)

    def tls(self) -> ssl.SSLContext:
        return self.ssl_context or default_ssl_context()


SYSTEM_NETWORK = DeliveryNetwork()


def network_of(services: Any) -> DeliveryNetwork:
    """The :class:`DeliveryNetwork` of the process's services (``Services.extras``), else the system's."""
    extras = getattr(services, "extras", None) or {}
    return extras.get(NETWORK_KEY) or SYSTEM_NETWORK


# -- checking a URL ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A checked URL: ``host`` as the HTTP client connects to it (IDNA-encoded), its port, and the
    addresses the connection may use (in the resolver's order)."""

    url: httpx.URL
    host: str
    port: int
    addresses: tuple[str, ...]


def parse_url(url: str) -> httpx.URL:
    """``url`` parsed by the HTTP client's own parser (no second parser to disagree with it), or
    :class:`UnsafeTarget` unless it is http(s) with a host and a valid port."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UnsafeTarget(f"The URL is not valid ({exc}).") from None
    if parsed.scheme not in ("http", "https"):
        raise UnsafeTarget("The URL must start with http:// or https://.")
    if not parsed.raw_host:
        raise UnsafeTarget("The URL has no host.")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise UnsafeTarget("The URL has an invalid port.")
    return parsed


def _literal_address(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def resolve_target(url: str, *, network: DeliveryNetwork, allow_private: bool) -> Target:
    """Parse ``url``, resolve its host once and check every address; raise :class:`UnsafeTarget` when
    the URL is malformed, the host does not resolve (not permanent: DNS may recover), or any address is
    refused by :func:`forbidden_reason` (every address, because a connection may use any of them).
    With ``allow_private`` every address is accepted. An IP literal is its own answer (no resolver call).
    """
    parsed = parse_url(url)
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    literal = _literal_address(host)
    if literal is not None:
        answers: Sequence[str] = [str(literal)]
    else:
        try:
            answers = await network.resolve(host, port)
        except (OSError, TimeoutError, UnicodeError) as exc:
            raise UnsafeTarget(
                f"The host {parsed.host} could not be resolved ({exc}).", permanent=False
            ) from None
        if not answers:
            raise UnsafeTarget(f"The host {parsed.host} resolves to no address.", permanent=False)
    addresses: list[str] = []
    for text in answers:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise UnsafeTarget(f"The host {parsed.host} resolved to {text!r}, not an IP address.") from None
        reason = None if allow_private else forbidden_reason(address)
        if reason is not None:
            raise UnsafeTarget(
                f"The host {parsed.host} resolves to {address}, {reason}; webhooks may only target public "
                f"addresses ({ALLOW_PRIVATE_HINT})."
            )
        addresses.append(str(address))
    return Target(parsed, host, port, tuple(dict.fromkeys(addresses)))


async def check_url(url: str, *, network: DeliveryNetwork, allow_private: bool) -> None:
    """Raise :class:`UnsafeTarget` unless ``url`` may receive webhooks now. With ``allow_private`` only
    the URL's form is checked (no resolution: the name may not exist yet where Fixdesk runs)."""
    if allow_private:
        parse_url(url)
        return
    await resolve_target(url, network=network, allow_private=False)


# -- connecting to the checked addresses only -------------------------------------------------------------


class PinnedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections for one :class:`Target` to its checked addresses only, whatever a DNS server
    would answer now; any other host or port is refused (``httpcore.ConnectError``). Addresses are tried
    in order until one accepts."""

    def __init__(self, target: Target, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.target = target
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if (host, port) != (self.target.host, self.target.port):
            raise httpcore.ConnectError(
                f"Refused to connect to {host}:{port}: only {self.target.host}:{self.target.port} was checked."
            )
        last_error: Exception | None = None
        for address in self.target.addresses:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None  # a Target always has at least one address
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("Webhook deliveries never use Unix sockets.")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own HTTP transport, with its connection pool built over a :class:`PinnedNetworkBackend`.

    httpx's transport takes no network backend (encode/httpx#3749 proposes one), so the pool httpx made is
    replaced by an identical one that has ours; the request and response mapping and the translation of
    errors stay httpx's. HTTP/1.1 only, no proxies from the environment, no retries.
    """

    def __init__(self, target: Target, network: DeliveryNetwork) -> None:
        ssl_context = network.tls()
        super().__init__(verify=ssl_context, trust_env=False, retries=0)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=1,
            max_keepalive_connections=0,
            http1=True,
            http2=False,
            retries=0,
            network_backend=PinnedNetworkBackend(target, network.backend),
        )


def pinned_client(target: Target, network: DeliveryNetwork, *, timeout_seconds: float) -> httpx.AsyncClient:
    """An HTTP client for one delivery attempt to ``target``: connects only to its checked addresses,
    never follows redirects and ignores proxy settings of the environment."""
    return httpx.AsyncClient(
        transport=PinnedTransport(target, network),
        timeout=httpx.Timeout(timeout_seconds),
        follow_redirects=False,
        trust_env=False,
    )

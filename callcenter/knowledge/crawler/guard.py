"""The crawler's network guard against server-side request forgery.

A representative types any URL; the crawler must not become a way to reach the
machine it runs on, the VPC behind it, or the cloud metadata service. Every TCP
connection the crawler's HTTP client opens goes through `GuardedNetworkBackend`:
it resolves the host itself, refuses private, loopback, link-local,
unique-local, multicast, reserved, unspecified and metadata addresses, and then
connects to the very address it checked (no second lookup an attacker's DNS
could answer differently). Redirects open new connections, so every hop is
checked too. TLS still verifies the certificate for the host name (SNI and the
Host header come from the URL, not from the address).

An explicit allowlist (settings `crawler_allowed_hosts`, `crawler_allowed_networks`)
lets a deployment crawl an intranet help center, and the local platform crawl one
served on loopback. Metadata addresses stay refused unless the allowlist names
that exact address."""

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

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Cloud instance metadata services (AWS, GCP, Azure, DigitalOcean, OpenStack: 169.254.169.254;
# AWS over IPv6: fd00:ec2::254; Alibaba: 100.100.100.200; Oracle: 192.0.0.192; AWS ECS task metadata: 169.254.170.2).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)
METADATA_HOSTNAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.com",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.platformequinix.com",
        "metadata.tencentyun.com",
    }
)

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class BlockedAddressError(Exception):
    """The crawler refused to connect: the host is (or resolves to) a non-public address."""

    def __init__(self, host: str, address: str | None, reason: str) -> None:
        super().__init__(f"refused to connect to {host}" + (f" ({address})" if address else "") + f": {reason}")
        self.host = host
        self.address = address
        self.reason = reason


class HostLookupError(OSError):
    """The host name does not resolve."""

    def __init__(self, host: str, detail: str) -> None:
        super().__init__(f"cannot resolve {host}: {detail}")
        self.host = host


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or address in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def non_public_reason(address: IPAddress) -> str | None:
    """Why an address must not be fetched by default, or None for an ordinary public address."""
    if address in METADATA_ADDRESSES:
        return "cloud metadata service"
    if address.is_unspecified:
        return "unspecified address"
    if address.is_loopback:
        return "loopback address"
    if address.is_link_local:
        return "link-local address"
    if address.is_multicast:
        return "multicast address"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = non_public_reason(embedded)
            if inner is not None:
                return f"{inner} inside an IPv6 address"
        if address.is_site_local:
            return "site-local address"
    if address.is_private:
        return "private network address"
    if address.is_reserved:
        return "reserved address"
    if not address.is_global:
        return "non-public address"
    return None


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses the crawler may connect to. The default refuses every non-public one."""

    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def strict(cls) -> AddressPolicy:
        return cls()

    @classmethod
    def allowing(cls, *, hosts: Iterable[str] = (), networks: Iterable[str] = ()) -> AddressPolicy:
        return cls(
            allowed_hosts=frozenset(host.strip().rstrip(".").lower() for host in hosts if host.strip()),
            allowed_networks=tuple(ipaddress.ip_network(network.strip(), strict=False) for network in networks),
        )

    @classmethod
    def from_settings(cls) -> AddressPolicy:
        from callcenter.settings import get_settings

        settings = get_settings()
        return cls.allowing(hosts=settings.crawler_allowed_hosts, networks=settings.crawler_allowed_networks)

    def _network_allows(self, address: IPAddress, *, exact: bool) -> bool:
        for network in self.allowed_networks:
            if address.version != network.version or address not in network:
                continue
            if not exact or network.num_addresses == 1:
                return True
        return False

    def check_host_name(self, host: str) -> None:
        """Refuse metadata host names before any lookup."""
        name = host.strip("[]").rstrip(".").lower()
        if name in METADATA_HOSTNAMES and name not in self.allowed_hosts:
            raise BlockedAddressError(host, None, "cloud metadata service")

    def refusal(self, host: str, address: IPAddress) -> str | None:
        """None when the crawler may connect to `address` (which `host` resolved to), else why not."""
        reason = non_public_reason(address)
        if reason is None:
            return None
        name = host.strip("[]").rstrip(".").lower()
        if address in METADATA_ADDRESSES:
            # A broad allowlist (10.0.0.0/8, a host name) never opens the metadata service by accident.
            return None if self._network_allows(address, exact=True) else reason
        if name in self.allowed_hosts or self._network_allows(address, exact=False):
            return None
        return reason

    def allowed_addresses(self, host: str, addresses: Sequence[IPAddress]) -> list[IPAddress]:
        """The addresses of `host` that may be connected to; raises BlockedAddressError when none may."""
        self.check_host_name(host)
        allowed: list[IPAddress] = []
        first_refusal: tuple[IPAddress, str] | None = None
        for address in addresses:
            reason = self.refusal(host, address)
            if reason is None:
                allowed.append(address)
            elif first_refusal is None:
                first_refusal = (address, reason)
        if not allowed:
            if first_refusal is None:
                raise HostLookupError(host, "no addresses")
            raise BlockedAddressError(host, str(first_refusal[0]), first_refusal[1])
        return allowed


Resolver = Callable[[str, int], Awaitable[Sequence[str]]]


async def system_resolver(host: str, port: int) -> Sequence[str]:
    """The operating system's resolver (getaddrinfo), without blocking the event loop."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        raise HostLookupError(host, str(error)) from error
    addresses: list[str] = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 scope id
        if address not in addresses:
            addresses.append(address)
    return addresses


def _parse_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


@dataclass
class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks, then connects to the checked address: the pin against DNS rebinding."""

    policy: AddressPolicy
    resolver: Resolver = system_resolver
    inner: httpcore.AsyncNetworkBackend = field(default_factory=httpcore.AnyIOBackend)

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        self.policy.check_host_name(host)
        literal = _parse_literal(host)
        if literal is not None:
            candidates: list[IPAddress] = [literal]
        else:
            candidates = []
            for text in await self.resolver(host, port):
                parsed = _parse_literal(text)
                if parsed is None:
                    raise HostLookupError(host, f"resolver returned {text!r}")
                candidates.append(parsed)
        return self.policy.allowed_addresses(host, candidates)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.resolve(host, port)
        last_error: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    str(address), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last_error = error
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddressError(path, None, "unix sockets are never crawled")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool built on `GuardedNetworkBackend`.

    No proxies (an environment proxy would resolve names out of our sight) and no retries."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        resolver: Resolver = system_resolver,
        inner_backend: httpcore.AsyncNetworkBackend | None = None,
        max_connections: int = 10,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(trust_env=False)
        backend = GuardedNetworkBackend(policy=policy, resolver=resolver)
        if inner_backend is not None:
            backend.inner = inner_backend
        self.backend = backend
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            http1=True,
            http2=False,
            retries=0,
            network_backend=backend,
        )


def guarded_client(
    policy: AddressPolicy,
    *,
    resolver: Resolver = system_resolver,
    inner_backend: httpcore.AsyncNetworkBackend | None = None,
    timeout: httpx.Timeout | None = None,
    headers: dict[str, str] | None = None,
    max_connections: int = 10,
    ssl_context: ssl.SSLContext | None = None,
    **kwargs: Any,
) -> httpx.AsyncClient:
    """An httpx client that never follows redirects on its own and refuses non-public addresses."""
    transport = GuardedTransport(
        policy, resolver=resolver, inner_backend=inner_backend, max_connections=max_connections, ssl_context=ssl_context
    )
    return httpx.AsyncClient(
        transport=transport,
        trust_env=False,
        follow_redirects=False,
        timeout=timeout or httpx.Timeout(15.0, connect=10.0),
        headers=headers,
        **kwargs,
    )

"""The SSRF guard: which addresses are refused, the allowlist, and that the
connection goes to the very address that was checked."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path

import httpx
import pytest

from callcenter.knowledge.crawler.guard import (
    AddressPolicy,
    BlockedAddressError,
    GuardedNetworkBackend,
    HostLookupError,
    guarded_client,
    non_public_reason,
)
from tests.crawler.conftest import LOOPBACK_POLICY, SpyBackend, fake_resolver
from tests.fixtures.helpcenter.server import Reply, Site, serve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.9.9.9",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # AWS/GCP/Azure metadata
        "169.254.170.2",  # ECS task metadata
        "169.254.1.1",  # link-local
        "100.100.100.200",  # Alibaba metadata
        "100.64.0.1",  # carrier-grade NAT
        "192.0.0.192",  # Oracle metadata
        "198.18.0.1",  # benchmarking
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",  # multicast
        "239.255.255.250",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd00:ec2::254",  # AWS metadata over IPv6
        "ff02::1",
        "::ffff:10.0.0.1",  # IPv4-mapped
        "::ffff:127.0.0.1",
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2002:a00:1::",  # 6to4 of 10.0.0.1
        "2001:db8::1",  # documentation
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert non_public_reason(ipaddress.ip_address(address)) is not None
    with pytest.raises(BlockedAddressError):
        AddressPolicy.strict().allowed_addresses("example.test", [ipaddress.ip_address(address)])


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450::1"])
def test_public_addresses_pass(address: str) -> None:
    assert non_public_reason(ipaddress.ip_address(address)) is None


def test_metadata_is_named() -> None:
    assert non_public_reason(ipaddress.ip_address("169.254.169.254")) == "cloud metadata service"
    assert non_public_reason(ipaddress.ip_address("fd00:ec2::254")) == "cloud metadata service"
    assert non_public_reason(ipaddress.ip_address("100.100.100.200")) == "cloud metadata service"


def test_allowlist_networks_and_hosts() -> None:
    loopback = ipaddress.ip_address("127.0.0.1")
    private = ipaddress.ip_address("10.1.2.3")
    assert LOOPBACK_POLICY.allowed_addresses("127.0.0.1", [loopback]) == [loopback]
    with pytest.raises(BlockedAddressError):
        LOOPBACK_POLICY.allowed_addresses("intranet", [private])
    by_host = AddressPolicy.allowing(hosts=["Help.Intranet.Example."])
    assert by_host.allowed_addresses("help.intranet.example", [private]) == [private]
    with pytest.raises(BlockedAddressError):
        by_host.allowed_addresses("other.intranet.example", [private])


def test_broad_allowlists_never_open_the_metadata_service() -> None:
    metadata = ipaddress.ip_address("169.254.169.254")
    for policy in [
        AddressPolicy.allowing(networks=["0.0.0.0/0", "::/0"]),
        AddressPolicy.allowing(networks=["169.254.0.0/16"]),
        AddressPolicy.allowing(hosts=["evil.example"]),
    ]:
        with pytest.raises(BlockedAddressError) as caught:
            policy.allowed_addresses("evil.example", [metadata])
        assert caught.value.reason == "cloud metadata service"
    exact = AddressPolicy.allowing(networks=["169.254.169.254/32"])
    assert exact.allowed_addresses("evil.example", [metadata]) == [metadata]


@pytest.mark.parametrize("host", ["metadata.google.internal", "METADATA.google.internal.", "metadata", "instance-data"])
def test_metadata_host_names_are_refused_before_lookup(host: str) -> None:
    with pytest.raises(BlockedAddressError):
        AddressPolicy.allowing(networks=["0.0.0.0/0"]).check_host_name(host)


def test_settings_default_to_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    from callcenter.settings import Settings

    for name in ("CRAWLER_ALLOWED_HOSTS", "CRAWLER_ALLOWED_NETWORKS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.crawler_allowed_hosts == []
    assert settings.crawler_allowed_networks == []
    monkeypatch.setenv("CRAWLER_ALLOWED_NETWORKS", '["127.0.0.0/8"]')
    assert Settings(_env_file=None).crawler_allowed_networks == ["127.0.0.0/8"]  # type: ignore[call-arg]


async def test_private_answers_are_refused_without_connecting() -> None:
    spy = SpyBackend()
    resolver = fake_resolver({"rebind.acme.test": ["10.0.0.7", "169.254.169.254"]})
    backend = GuardedNetworkBackend(policy=LOOPBACK_POLICY, resolver=resolver, inner=spy)
    with pytest.raises(BlockedAddressError) as caught:
        await backend.connect_tcp("rebind.acme.test", 80)
    assert caught.value.address == "10.0.0.7"
    assert spy.connects == []


async def test_only_the_checked_address_is_connected(site: tuple[Site, str]) -> None:
    """A name resolving to a refused and an allowed address: only the allowed one is dialed."""
    _, base = site
    port = int(base.rsplit(":", 1)[1])
    spy = SpyBackend()
    resolver = fake_resolver({"help.acme.test": ["10.0.0.7", "127.0.0.1"]})
    backend = GuardedNetworkBackend(policy=LOOPBACK_POLICY, resolver=resolver, inner=spy)
    stream = await backend.connect_tcp("help.acme.test", port)
    await stream.aclose()
    assert spy.connects == [("127.0.0.1", port)]


async def test_dns_rebinding_between_connections_is_refused(site: tuple[Site, str]) -> None:
    """Each connection resolves once and dials what it checked: a second answer pointing inside is refused."""
    _, base = site
    port = int(base.rsplit(":", 1)[1])
    answers = [["127.0.0.1"], ["10.0.0.7"]]

    async def rebinding(host: str, port: int) -> list[str]:
        return answers.pop(0)

    spy = SpyBackend()
    backend = GuardedNetworkBackend(policy=LOOPBACK_POLICY, resolver=rebinding, inner=spy)
    stream = await backend.connect_tcp("help.acme.test", port)
    await stream.aclose()
    with pytest.raises(BlockedAddressError):
        await backend.connect_tcp("help.acme.test", port)
    assert spy.hosts() == {"127.0.0.1"}


async def test_client_keeps_the_host_name_while_dialing_the_pinned_address(site: tuple[Site, str]) -> None:
    fixture_site, base = site
    from tests.fixtures.helpcenter.server import Reply

    fixture_site.add("/hello", Reply.html("<p>hi</p>"))
    port = int(base.rsplit(":", 1)[1])
    spy = SpyBackend()
    client = guarded_client(
        LOOPBACK_POLICY, resolver=fake_resolver({"help.acme.test": ["127.0.0.1"]}), inner_backend=spy
    )
    async with client:
        response = await client.get(f"http://help.acme.test:{port}/hello")
    assert response.status_code == 200
    assert fixture_site.requests[-1].host == f"help.acme.test:{port}"
    assert spy.connects == [("127.0.0.1", port)]


async def test_unknown_names_fail_as_lookup_errors() -> None:
    client = guarded_client(LOOPBACK_POLICY, resolver=fake_resolver({}), inner_backend=SpyBackend())
    async with client:
        with pytest.raises(HostLookupError):
            await client.get("http://nowhere.acme.test/")


async def test_environment_proxies_are_ignored(site: tuple[Site, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy would resolve names out of the guard's sight: the client must not use one."""
    fixture_site, base = site
    from tests.fixtures.helpcenter.server import Reply

    fixture_site.add("/hello", Reply.html("<p>hi</p>"))
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    spy = SpyBackend()
    async with guarded_client(LOOPBACK_POLICY, inner_backend=spy) as client:
        response = await client.get(f"{base}/hello")
    assert response.status_code == 200
    assert all(port != 9 for _host, port in spy.connects)


async def test_redirects_are_not_followed_by_the_client(site: tuple[Site, str]) -> None:
    fixture_site, base = site
    from tests.fixtures.helpcenter.server import Reply

    fixture_site.add("/away", Reply.redirect("http://10.0.0.1/", 302))
    spy = SpyBackend()
    async with guarded_client(LOOPBACK_POLICY, inner_backend=spy) as client:
        response = await client.get(f"{base}/away")
        assert response.status_code == 302
        with pytest.raises(BlockedAddressError):
            await client.get("http://10.0.0.1/")
    assert spy.hosts() == {"127.0.0.1"}
    assert isinstance(response, httpx.Response)


def _self_signed(name: str, directory: Path) -> tuple[Path, Path]:
    """A certificate for `name` (and its key), written as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / f"{name}.pem"
    key_path = directory / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


async def test_tls_verifies_the_host_name_while_dialing_the_pinned_address(tmp_path: Path) -> None:
    """SNI and certificate checks use the URL's host name, not the pinned IP address."""
    cert, key = _self_signed("help.acme.test", tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    server_names: list[str] = []

    def remember(sock: ssl.SSLSocket, name: str | None, _context: ssl.SSLContext) -> None:
        server_names.append(name or "")

    server_context.sni_callback = remember  # type: ignore[assignment]
    site = Site()
    site.add("/hello", Reply.html("<p>hi over TLS</p>"))
    with serve(site, ssl_context=server_context) as base:
        port = int(base.rsplit(":", 1)[1])
        client_context = ssl.create_default_context(cafile=str(cert))
        spy = SpyBackend()
        resolver = fake_resolver({"help.acme.test": ["127.0.0.1"], "other.acme.test": ["127.0.0.1"]})
        async with guarded_client(
            LOOPBACK_POLICY, resolver=resolver, inner_backend=spy, ssl_context=client_context
        ) as client:
            response = await client.get(f"https://help.acme.test:{port}/hello")
            assert response.status_code == 200
            assert "hi over TLS" in response.text
            with pytest.raises(httpx.ConnectError) as caught:  # the certificate does not name other.acme.test
                await client.get(f"https://other.acme.test:{port}/hello")
            assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
            assert "other.acme.test" in str(caught.value)
    assert server_names[0] == "help.acme.test"
    assert spy.hosts() == {"127.0.0.1"}

"""URL normalization, scope and start-URL parsing (no network)."""

from __future__ import annotations

import pytest

from callcenter.knowledge.crawler import CrawlError, normalize_url, parse_start_url
from callcenter.knowledge.crawler.urls import Scope, looks_binary


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # fragments
        ("https://help.acme.com/a#steps", "https://help.acme.com/a"),
        # tracking parameters go, real ones stay (sorted)
        ("https://help.acme.com/a?utm_source=x&utm_medium=y", "https://help.acme.com/a"),
        ("https://help.acme.com/a?gclid=1&fbclid=2&ref=home&msclkid=3&_ga=4", "https://help.acme.com/a"),
        ("https://help.acme.com/a?page=2&utm_campaign=z&lang=en", "https://help.acme.com/a?lang=en&page=2"),
        ("https://help.acme.com/a?", "https://help.acme.com/a"),
        # trailing slashes, but the root keeps its slash
        ("https://help.acme.com/a/b/", "https://help.acme.com/a/b"),
        ("https://help.acme.com", "https://help.acme.com/"),
        ("https://help.acme.com/", "https://help.acme.com/"),
        # default ports and case of scheme and host (not of the path)
        ("HTTPS://Help.ACME.com:443/Articles/A", "https://help.acme.com/Articles/A"),
        ("http://help.acme.com:80/a", "http://help.acme.com/a"),
        ("http://help.acme.com:8080/a", "http://help.acme.com:8080/a"),
        ("https://help.acme.com.:443/a", "https://help.acme.com/a"),
        # dot segments, empty segments of posixpath, percent-encoding
        ("https://help.acme.com/a/./b/../c", "https://help.acme.com/a/c"),
        ("https://help.acme.com/a%2fb/%7euser", "https://help.acme.com/a%2Fb/%7Euser"),
        ("https://help.acme.com/a b", "https://help.acme.com/a%20b"),
        ("https://help.acme.com/a;jsessionid=ABC123/b", "https://help.acme.com/a/b"),
        # internationalized host names and IPv6 literals
        ("https://bücher.example/hilfe", "https://xn--bcher-kva.example/hilfe"),
        ("http://[::1]:8080/help", "http://[::1]:8080/help"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("../articles/x", "https://help.acme.com/help/articles/x"),
        ("x?utm_source=a#top", "https://help.acme.com/help/categories/x"),
        ("/help/", "https://help.acme.com/help"),
        ("?page=2", "https://help.acme.com/help/categories/billing?page=2"),
        ("//cdn.acme.com/a", "https://cdn.acme.com/a"),
    ],
)
def test_relative_links(href: str, expected: str) -> None:
    assert normalize_url(href, "https://help.acme.com/help/categories/billing") == expected


@pytest.mark.parametrize(
    "raw",
    [
        "mailto:support@acme.com",
        "tel:+15550100",
        "javascript:void(0)",
        "ftp://files.acme.com/a",
        "data:text/html,hi",
        "https://user:secret@help.acme.com/a",
        "https://help.acme.com:99999/a",
        "",
        "https:///nohost",
    ],
)
def test_not_crawlable(raw: str) -> None:
    assert normalize_url(raw) is None


def test_duplicates_share_one_key() -> None:
    variants = [
        "https://help.acme.com/help/articles/reset-password",
        "https://help.acme.com/help/articles/reset-password/",
        "https://help.acme.com/help/articles/reset-password#steps",
        "https://HELP.acme.com:443/help/articles/reset-password?utm_source=newsletter&utm_medium=email",
        "https://help.acme.com/help/articles/reset-password?fbclid=abc&ref=home",
        "https://help.acme.com/help/articles/./reset-password",
    ]
    assert len({normalize_url(url) for url in variants}) == 1


def test_scope_is_host_and_path_prefix() -> None:
    scope = Scope.from_url("https://acme.com/help")
    assert scope.contains("https://acme.com/help")
    assert scope.contains("https://acme.com/help/articles/a")
    assert scope.contains("http://acme.com/help/articles/a")  # same site over http
    assert not scope.contains("https://acme.com/helpful")
    assert not scope.contains("https://acme.com/pricing")
    assert not scope.contains("https://www.acme.com/help/a")
    assert not scope.contains("https://acme.com:8443/help/a")
    assert scope.adopt("http://acme.com/help/a") == "https://acme.com/help/a"
    assert scope.adopt("http://other.com/help/a") == "http://other.com/help/a"


def test_scope_of_a_page_is_its_directory() -> None:
    assert Scope.from_url("https://acme.com/support/index.html").path_prefix == "/support"
    assert Scope.from_url("https://acme.com/").path_prefix == ""
    assert Scope.from_url("https://acme.com/").contains("https://acme.com/anything/at/all")


def test_binary_links() -> None:
    assert looks_binary("https://acme.com/guide.PDF")
    assert looks_binary("https://acme.com/logo.png")
    assert not looks_binary("https://acme.com/help/articles/pdf-export")
    assert not looks_binary("https://acme.com/help/page.html")


def test_start_url_parsing() -> None:
    assert parse_start_url("help.acme.com/hc/en-us/") == "https://help.acme.com/hc/en-us"
    assert parse_start_url("  http://help.acme.com  ") == "http://help.acme.com/"
    bad_urls = ["", "ftp://help.acme.com", "https://user:pw@help.acme.com/", "help acme com", "javascript:alert(1)"]
    for bad in [*bad_urls, "http://[::1", "mailto:help@acme.com", "https://help.acme.com:99999/"]:
        with pytest.raises(CrawlError) as caught:
            parse_start_url(bad)
        assert caught.value.code == "invalid_url"
        assert "starting with http:// or https://" in caught.value.message

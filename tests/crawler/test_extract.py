"""One page -> links and an ExtractedDocument (no network)."""

from __future__ import annotations

from callcenter.knowledge.crawler.extract import decode_html, process_html
from tests.fixtures.helpcenter.site import ARTICLES, CHROME_PHRASES, page

URL = "https://help.acme.com/help/articles/reset-password"


def _article(slug: str) -> str:
    article = next(article for article in ARTICLES if article.slug == slug)
    return page(article.title, article.body, breadcrumb="Getting started", description=article.description)


def test_article_keeps_title_headings_lists_and_tables() -> None:
    content = process_html(_article("reset-password").encode(), URL)
    document = content.document
    assert document is not None
    assert document.title == "Reset your password"
    assert document.url == URL
    paths = [section.heading_path for section in document.sections]
    assert paths == [
        (),
        ("From the login page",),
        ("From the login page", "If the email never arrives"),
        ("Password rules",),
    ]
    steps = document.sections[1].text
    assert "1. Click Forgot password and enter your work email." in steps
    assert "3. Choose a new password you have not used before." in steps
    table = document.sections[3].text
    assert "Rule | Requirement" in table
    assert "Lockout | 15 minutes after 10 failed attempts" in table
    assert document.metadata["language"] == "en"


def test_chrome_is_dropped() -> None:
    for article in ARTICLES:
        if article.noindex:
            continue
        html = page(article.title, article.body, breadcrumb="Billing")
        document = process_html(html.encode(), URL).document
        assert document is not None, article.slug
        text = document.text
        for phrase in CHROME_PHRASES:
            assert phrase not in text, (article.slug, phrase)
        for word in ("Pricing", "Breadcrumb", "Help Center \u203a", "Accept all", "Twitter", "console.log"):
            assert word not in text, (article.slug, word)


def test_nested_heading_levels_pop_correctly() -> None:
    html = page(
        "Levels",
        "<p>Intro text that is long enough to be kept by the extractor as a paragraph.</p>"
        "<h2>A</h2><p>Text under A, long enough to be kept by the extractor.</p>"
        "<h3>A1</h3><p>Text under A1, long enough to be kept by the extractor.</p>"
        "<h4>A1x</h4><p>Text under A1x, long enough to be kept by the extractor.</p>"
        "<h2>B</h2><p>Text under B, long enough to be kept by the extractor as well.</p>",
    )
    document = process_html(html.encode(), URL).document
    assert document is not None
    assert [section.heading_path for section in document.sections] == [
        (),
        ("A",),
        ("A", "A1"),
        ("A", "A1", "A1x"),
        ("B",),
    ]


def test_links_pagination_canonical_and_robots_meta() -> None:
    html = """<!doctype html><html><head><title>Billing</title>
    <link rel="canonical" href="/help/categories/billing">
    <link rel="next" href="/help/categories/billing?page=2">
    <meta name="robots" content="noindex, nofollow"></head><body><main>
    <a href="../articles/a?utm_source=x#top">A</a>
    <a href="https://help.acme.com/help/articles/b/">B</a>
    <a href="mailto:x@acme.com">mail</a><a href="javascript:void(0)">js</a>
    <a rel="nofollow" href="/help/login">login</a>
    <a class="pagination-next" href="?page=3">Older articles</a>
    <a href="?page=4">Next &rsaquo;</a>
    </main></body></html>"""
    content = process_html(html.encode(), "https://help.acme.com/help/categories/billing")
    assert content.canonical == "https://help.acme.com/help/categories/billing"
    assert content.noindex and content.nofollow
    assert content.document is None
    assert "https://help.acme.com/help/articles/a" in content.links
    assert "https://help.acme.com/help/articles/b" in content.links
    assert "https://help.acme.com/help/login" not in content.links
    assert not any(link.startswith(("mailto", "javascript")) for link in content.links)
    assert content.next_links == (
        "https://help.acme.com/help/categories/billing?page=2",
        "https://help.acme.com/help/categories/billing?page=3",
        "https://help.acme.com/help/categories/billing?page=4",
    )


def test_base_href_resolves_relative_links() -> None:
    html = '<html><head><base href="https://help.acme.com/docs/"></head><body><a href="guide">g</a></body></html>'
    content = process_html(html.encode(), "https://help.acme.com/other/page")
    assert content.links == ("https://help.acme.com/docs/guide",)


def test_listing_pages_are_not_documents() -> None:
    items = "".join(f'<li><a href="/help/articles/a{n}">How to do thing number {n}</a></li>' for n in range(12))
    html = page("Billing", f"<p>Plans and invoices.</p><ul>{items}</ul>", article=False)
    content = process_html(html.encode(), "https://help.acme.com/help/categories/billing")
    assert content.listing
    assert content.document is None
    assert len([link for link in content.links if "/help/articles/a" in link]) == 12


def test_charset_from_header_and_meta() -> None:
    text = "Café crème, naïve résumé"
    latin = f"<html><head><title>x</title></head><body><p>{text}</p></body></html>".encode("latin-1")
    assert text in decode_html(latin, "iso-8859-1")
    meta = f'<html><head><meta charset="windows-1252"></head><body><p>{text}</p></body></html>'.encode("cp1252")
    assert text in decode_html(meta, None)
    assert text in decode_html(f"\ufeff<p>{text}</p>".encode(), None)
    assert decode_html(b"\xff\xfe broken \xff", None)  # never raises


def test_title_falls_back_to_the_title_tag_without_the_site_name() -> None:
    html = (
        "<html><head><title>Export your data | Acme Help Center</title></head><body><main>"
        "<p>You can export every transcript and article as a ZIP archive from the settings page. "
        "The export is emailed to the owner when ready, usually within an hour.</p></main></body></html>"
    )
    document = process_html(html.encode(), URL).document
    assert document is not None
    assert document.title == "Export your data"


def test_empty_page_has_no_document() -> None:
    content = process_html(b"<html><body><nav><a href='/a'>A</a></nav></body></html>", URL)
    assert content.document is None
    assert content.links == ("https://help.acme.com/a",)

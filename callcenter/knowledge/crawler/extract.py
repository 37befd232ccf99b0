"""One fetched HTML page -> its links and its article as an `ExtractedDocument`.

Links (with pagination and the canonical URL) are read from the whole page.
The article text comes from trafilatura (a maintained main-content extractor)
on the page with the obvious chrome already cut out (scripts, navigation, site
header and footer, sidebars, cookie banners, share and feedback widgets).
trafilatura's XML output keeps headings, lists and tables; the headings become
each section's heading path."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html
import trafilatura
from lxml import etree

from callcenter.knowledge.crawler.urls import normalize_url
from callcenter.knowledge.types import ExtractedDocument, Section

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_TOKEN_SPLIT = re.compile(r"[\s_\-]+")
_TITLE_SEPARATORS = re.compile(r"\s+[|\u2013\u2014\u00b7:-]\s+")

# Class/id words that mark page chrome wherever they appear.
_ALWAYS_CHROME = frozenset(
    {
        "cookie", "cookies", "cookiebanner", "consent", "gdpr", "newsletter", "breadcrumb", "breadcrumbs",
        "share", "sharing", "social", "advert", "advertisement", "ads", "promo", "feedback", "votes",
        "skiplink", "skip",
    }
)  # fmt: skip
# Class/id words that mark chrome outside the main content (an article may have its own header).
_OUTER_CHROME = frozenset(
    {"sidebar", "header", "footer", "navbar", "nav", "navigation", "menu", "banner", "masthead", "related", "toolbar"}
)
_ALWAYS_REMOVE_TAGS = ("script", "style", "noscript", "template", "iframe", "svg", "canvas", "button", "select",
                       "input", "textarea", "object", "embed")  # fmt: skip
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alertdialog"})
_PAGINATION_WORDS = frozenset(
    {"next", "next page", "older", "older articles", "more articles", "\u203a", "\u00bb", "\u2192", ">"}
)
_CONTENT_TAGS = ("main", "article")


@dataclass(frozen=True)
class PageContent:
    document: ExtractedDocument | None  # None: no article text found, or a listing page
    listing: bool  # mostly links (a category or index page): crawled for its links, not indexed
    links: tuple[str, ...]  # normalized absolute URLs, in page order, not yet scoped
    next_links: tuple[str, ...]  # pagination ("next") among them
    canonical: str | None
    noindex: bool
    nofollow: bool
    seconds: float
    metadata: dict[str, str] = field(default_factory=dict)


def decode_html(body: bytes, charset: str | None) -> str:
    candidates: list[str] = []
    if charset:
        candidates.append(charset)
    match = _META_CHARSET.search(body[:4096])
    if match:
        candidates.append(match.group(1).decode("ascii", errors="ignore"))
    candidates.append("utf-8")
    for candidate in candidates:
        try:
            return body.decode(candidate).lstrip("\ufeff")
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("cp1252", errors="replace")


def parse_html(text: str) -> lxml.html.HtmlElement:
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    document = lxml.html.document_fromstring(text.encode("utf-8", errors="replace") or b"<html></html>", parser=parser)
    return document


def _tokens(element: lxml.html.HtmlElement) -> set[str]:
    words = f"{element.get('class', '')} {element.get('id', '')}".lower()
    tokens = set(_TOKEN_SPLIT.split(words))
    # "cookie-banner" is both {"cookie", "banner"} and "cookiebanner".
    tokens.update(word.replace("-", "").replace("_", "") for word in words.split())
    tokens.discard("")
    return tokens


def _rel(element: lxml.html.HtmlElement) -> set[str]:
    return {word.lower() for word in (element.get("rel") or "").split()}


def _text(element: lxml.html.HtmlElement) -> str:
    return _SPACES.sub(" ", element.text_content()).strip()


def _inside_content(element: lxml.html.HtmlElement) -> bool:
    return any(ancestor.tag in _CONTENT_TAGS for ancestor in element.iterancestors())


def _holds_content(element: lxml.html.HtmlElement) -> bool:
    if element.tag in {"html", "body", *_CONTENT_TAGS}:
        return True
    return bool(element.xpath("boolean(.//main | .//article | .//h1 | .//*[@role='main'])"))


def strip_chrome(root: lxml.html.HtmlElement) -> None:
    """Remove what is never article text. The element holding the article is never removed."""
    doomed: list[lxml.html.HtmlElement] = []
    for element in root.iter(*_ALWAYS_REMOVE_TAGS):
        doomed.append(element)
    for element in root.iter(etree.Element):
        tag = element.tag if isinstance(element.tag, str) else ""
        if not tag or tag in _ALWAYS_REMOVE_TAGS:
            continue
        role = (element.get("role") or "").lower()
        tokens = _tokens(element)
        outer = not _inside_content(element)
        if (
            tag == "nav"
            or role in _CHROME_ROLES
            or (tag in {"header", "footer", "aside"} and outer)
            or tokens & _ALWAYS_CHROME
            or (outer and tokens & _OUTER_CHROME)
            or (element.get("aria-hidden") or "").lower() == "true"
        ) and not _holds_content(element):
            doomed.append(element)
    for element in doomed:
        parent = element.getparent()
        if parent is None:
            continue
        # Keep the text that follows the removed element.
        if element.tail and element.tail.strip():
            previous = element.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + element.tail
            else:
                parent.text = (parent.text or "") + element.tail
        parent.remove(element)


def _is_next(element: lxml.html.HtmlElement) -> bool:
    if "next" in _rel(element):
        return True
    tokens = _tokens(element)
    if tokens & {"next", "pagination-next", "paginationnext", "nextpage", "page-next"}:
        return True
    label = (element.get("aria-label") or "").strip().lower()
    if label in {"next", "next page"}:
        return True
    text = _text(element).lower()
    return text in _PAGINATION_WORDS or text.strip(" \u203a\u00bb\u2192>") in {
        "next",
        "next page",
        "older",
        "older articles",
    }


def read_links(root: lxml.html.HtmlElement, url: str) -> tuple[list[str], list[str], str | None, bool, bool]:
    """(links, pagination links, canonical URL, noindex, nofollow) from the whole page."""
    base = url
    for element in root.iter("base"):
        href = (element.get("href") or "").strip()
        if href:
            candidate = urljoin(url, href)
            if urlsplit(candidate).scheme in {"http", "https"}:
                base = candidate
        break
    noindex = nofollow = False
    for element in root.iter("meta"):
        name = (element.get("name") or "").lower()
        if name in {"robots", "callcenterbot"}:
            content = (element.get("content") or "").lower()
            directives = {word.strip() for word in content.split(",")}
            noindex = noindex or bool(directives & {"noindex", "none"})
            nofollow = nofollow or bool(directives & {"nofollow", "none"})
    canonical: str | None = None
    links: list[str] = []
    next_links: list[str] = []
    seen: set[str] = set()
    for element in root.iter("link", "a", "area"):
        href = element.get("href")
        if not href:
            continue
        rel = _rel(element)
        if element.tag == "link":
            if "canonical" in rel and canonical is None:
                canonical = normalize_url(href, base)
            elif "next" in rel:
                resolved = normalize_url(href, base)
                if resolved and resolved not in next_links:
                    next_links.append(resolved)
                    if resolved not in seen:
                        seen.add(resolved)
                        links.append(resolved)
            continue
        if "nofollow" in rel:
            continue
        resolved = normalize_url(href, base)
        if resolved is None:
            continue
        if _is_next(element) and resolved not in next_links:
            next_links.append(resolved)
        if resolved not in seen:
            seen.add(resolved)
            links.append(resolved)
    return links, next_links, canonical, noindex, nofollow


def _clean(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _inline_text(element: etree._Element) -> str:
    for line_break in element.iter("lb"):
        line_break.tail = "\n" + (line_break.tail or "")
    return _clean("".join(str(part) for part in element.itertext()))


def _render_list(element: etree._Element, depth: int = 0) -> list[str]:
    ordered = (element.get("rend") or "").lower() in {"ol", "ordered"}
    lines: list[str] = []
    number = 0
    for item in element:
        if item.tag != "item":
            continue
        number += 1
        nested = [child for child in item if child.tag == "list"]
        for child in nested:
            item.remove(child)
        text = _inline_text(item)
        marker = f"{number}." if ordered else "-"
        if text:
            lines.append(f"{'  ' * depth}{marker} {text}")
        for child in nested:
            lines.extend(_render_list(child, depth + 1))
    return lines


def _render_table(element: etree._Element) -> str:
    rows: list[str] = []
    for row in element.iter("row"):
        cells = [_inline_text(cell).replace("\n", " ") for cell in row if cell.tag == "cell"]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _norm_title(text: str) -> str:
    return _SPACES.sub(" ", text).strip().lower()


def sections_from_xml(xml: str, title: str) -> list[Section]:
    """trafilatura XML -> sections, one per heading, each with the path of headings above it."""
    root = etree.fromstring(xml.encode("utf-8"), parser=etree.XMLParser(resolve_entities=False, no_network=True))
    main = root.find("main")
    if main is None:
        main = root
    stack: list[tuple[int, str]] = []
    sections: list[Section] = []
    blocks: list[str] = []
    skipped_title = False

    def flush() -> None:
        text = "\n\n".join(block for block in blocks if block)
        if text.strip():
            sections.append(Section(text=text, heading_path=tuple(heading for _level, heading in stack)))
        blocks.clear()

    def walk(element: etree._Element) -> None:
        nonlocal skipped_title
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            if tag == "head":
                heading = _inline_text(child).replace("\n", " ")
                if not heading:
                    continue
                flush()
                rend = (child.get("rend") or "h2").lower()
                level = int(rend[1]) if len(rend) == 2 and rend[0] == "h" and rend[1].isdigit() else 2
                if not skipped_title and not sections and not stack and _norm_title(heading) == _norm_title(title):
                    skipped_title = True  # the page title is the document's title, not a heading
                    continue
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, heading))
            elif tag == "list":
                blocks.append("\n".join(_render_list(child)))
            elif tag == "table":
                blocks.append(_render_table(child))
            elif tag in {"p", "quote", "code", "item", "cell", "hi", "ref"}:
                blocks.append(
                    _inline_text(child) if tag != "code" else "".join(str(part) for part in child.itertext()).strip()
                )
            elif tag in {"graphic", "comments", "lb"}:
                continue
            else:
                if child.text and child.text.strip():
                    blocks.append(_clean(child.text))
                walk(child)
            if child.tail and child.tail.strip() and element is not main:
                blocks.append(_clean(child.tail))

    walk(main)
    flush()
    return sections


def _page_title(root: lxml.html.HtmlElement) -> str:
    for element in root.xpath("//main//h1 | //article//h1 | //h1"):
        text = _text(element)
        if text:
            return text
    for element in root.xpath("//meta[@property='og:title']/@content"):
        if str(element).strip():
            return str(element).strip()
    for element in root.iter("title"):
        text = _text(element)
        if text:
            return _TITLE_SEPARATORS.split(text)[0].strip() or text
    return ""


def extract_article(root: lxml.html.HtmlElement, url: str) -> tuple[str | None, str]:
    """(trafilatura XML, fallback title) for a page already stripped of chrome."""
    fallback_title = _page_title(root)
    options: dict[str, object] = {
        "url": url,
        "output_format": "xml",
        "include_tables": True,
        "include_comments": False,
        "include_images": False,
        "include_links": False,
        "include_formatting": False,
        "with_metadata": False,
        "deduplicate": False,
    }
    xml = trafilatura.extract(root, **options)  # type: ignore[arg-type]
    if xml is None:
        xml = trafilatura.extract(root, favor_recall=True, **options)  # type: ignore[arg-type]
    return xml, fallback_title


# A page whose main content is mostly link text, with little prose of its own, is a listing.
LISTING_LINK_SHARE = 0.5
LISTING_MAX_PROSE_CHARS = 600


def is_listing(root: lxml.html.HtmlElement) -> bool:
    """True for category, section and index pages: the main content is mostly links.

    Headings are left out of the count: a listing's own title is not prose."""
    content = next(iter(root.xpath("//main | //*[@role='main'] | //article")), None)
    if content is None:
        content = root.find("body")
    if content is None:
        return False
    headings = sum(len(_text(heading)) for heading in content.iter("h1", "h2", "h3", "h4", "h5", "h6"))
    total = len(_text(content)) - headings
    if total <= 0:
        return False
    linked = sum(
        len(_text(link))
        for link in content.iter("a")
        if not any(a.tag in {"h1", "h2", "h3", "h4", "h5", "h6"} for a in link.iterancestors())
    )
    return linked >= LISTING_LINK_SHARE * total and total - linked < LISTING_MAX_PROSE_CHARS


def process_html(body: bytes, url: str, *, charset: str | None = None) -> PageContent:
    """Everything the crawler needs from one page. CPU-bound: run it in a worker thread."""
    started = time.perf_counter()
    root = parse_html(decode_html(body, charset))
    links, next_links, canonical, noindex, nofollow = read_links(root, url)
    language = (root.get("lang") or "").strip()
    description = ""
    for content in root.xpath("//meta[@name='description']/@content"):
        description = _SPACES.sub(" ", str(content)).strip()
        break
    document: ExtractedDocument | None = None
    listing = False
    if not noindex:
        listing = is_listing(root)  # before stripping: pagination and breadcrumbs are links too
        strip_chrome(root)
    if not noindex and not listing:
        xml, title = extract_article(root, url)
        if xml is not None:
            title = title or url
            sections = sections_from_xml(xml, title)
            candidate = ExtractedDocument(
                title=title,
                sections=tuple(sections),
                url=url,
                metadata={
                    key: value for key, value in {"language": language, "description": description}.items() if value
                },
            )
            if not candidate.is_empty:
                document = candidate
    return PageContent(
        document=document,
        listing=listing,
        links=tuple(links),
        next_links=tuple(next_links),
        canonical=canonical,
        noindex=noindex,
        nofollow=nofollow,
        seconds=time.perf_counter() - started,
    )

"""Why a crawl could not start, or why one page was not indexed, in words a
representative understands."""

from __future__ import annotations

from enum import StrEnum
from http import HTTPStatus

from callcenter.knowledge.types import ExtractionError


class FailReason(StrEnum):
    """A page that should have been indexed but could not be fetched."""

    INVALID_URL = "invalid_url"
    BLOCKED_ADDRESS = "blocked_address"
    DNS = "dns"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    TLS = "tls"
    NETWORK = "network"
    NOT_FOUND = "not_found"
    HTTP_ERROR = "http_error"
    SERVER_ERROR = "server_error"
    RATE_LIMITED = "rate_limited"
    REDIRECT_LOOP = "redirect_loop"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    ROBOTS_UNAVAILABLE = "robots_unavailable"
    EXTRACTION = "extraction"


class SkipReason(StrEnum):
    """A page deliberately not indexed."""

    ROBOTS = "robots_disallowed"
    DUPLICATE_URL = "duplicate_url"
    DUPLICATE_CANONICAL = "duplicate_canonical"
    DUPLICATE_CONTENT = "duplicate_content"
    NOT_HTML = "not_html"
    TOO_LARGE = "too_large"
    NO_TEXT = "no_text"
    LISTING = "listing"
    NOINDEX = "noindex"
    OFF_SITE = "off_site"


# Failures that say nothing about whether a page still exists: on re-crawl the
# page's old content is kept rather than dropped.
TRANSIENT_FAILURES = frozenset(
    {
        FailReason.DNS,
        FailReason.UNREACHABLE,
        FailReason.TIMEOUT,
        FailReason.TLS,
        FailReason.NETWORK,
        FailReason.SERVER_ERROR,
        FailReason.RATE_LIMITED,
        FailReason.ROBOTS_UNAVAILABLE,
        FailReason.EXTRACTION,
    }
)

_KNOWN_TYPES = {
    "application/pdf": "a PDF file",
    "application/msword": "a Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "a Word document",
    "application/json": "JSON data",
    "application/xml": "an XML file",
    "text/xml": "an XML file",
    "text/plain": "a plain text file",
    "application/zip": "a ZIP archive",
    "application/octet-stream": "a file download",
}


def describe_content_type(content_type: str) -> str:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in _KNOWN_TYPES:
        return _KNOWN_TYPES[kind]
    if kind.startswith("image/"):
        return "an image"
    if kind.startswith(("audio/", "video/")):
        return "a media file"
    return f"a {kind} file" if kind else "a file of unknown type"


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:.0f} MB" if value >= 1 else f"{size // 1024} KB"


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


class CrawlError(ExtractionError):
    """The crawl could not start (or found nothing). `message` is for the representative."""

    def __init__(self, message: str, *, code: str, url: str | None = None, detail: str = "") -> None:
        super().__init__(message, code=code)
        self.url = url
        self.detail = detail

    @classmethod
    def invalid_url(cls, url: str, why: str = "") -> CrawlError:
        return cls(
            "Enter the full address of the help center, starting with http:// or https:// "
            "(for example https://help.example.com/).",
            code="invalid_url",
            url=url,
            detail=why,
        )

    @classmethod
    def blocked(cls, url: str, detail: str) -> CrawlError:
        return cls(
            "That address is on a private network, so it can't be crawled. Use the help center's public address.",
            code="private_address",
            url=url,
            detail=detail,
        )

    @classmethod
    def dns(cls, url: str, detail: str) -> CrawlError:
        return cls(
            "We couldn't find that site. Check the address for typos.", code="site_not_found", url=url, detail=detail
        )

    @classmethod
    def unreachable(cls, url: str, detail: str) -> CrawlError:
        return cls(
            "The site didn't answer. Check the address, or try again later.",
            code="site_unreachable",
            url=url,
            detail=detail,
        )

    @classmethod
    def timeout(cls, url: str, detail: str) -> CrawlError:
        return cls("The site took too long to answer. Try again later.", code="site_timeout", url=url, detail=detail)

    @classmethod
    def tls(cls, url: str, detail: str) -> CrawlError:
        return cls(
            "The site's secure connection (its HTTPS certificate) couldn't be verified.",
            code="tls_error",
            url=url,
            detail=detail,
        )

    @classmethod
    def network(cls, url: str, detail: str) -> CrawlError:
        return cls("The connection to the site failed. Try again later.", code="network_error", url=url, detail=detail)

    @classmethod
    def robots_disallowed(cls, url: str, path: str) -> CrawlError:
        return cls(
            f"The site's robots.txt doesn't allow crawling {path}, so it can't be added.",
            code="robots_disallowed",
            url=url,
        )

    @classmethod
    def robots_unavailable(cls, url: str, status: int) -> CrawlError:
        return cls(
            f"The site's robots.txt couldn't be read (the server answered {_status_text(status)}), "
            "so it can't be crawled right now. Try again later.",
            code="robots_unavailable",
            url=url,
        )

    @classmethod
    def not_found(cls, url: str) -> CrawlError:
        return cls(
            "That page doesn't exist (the site answered 404 Not Found). Check the address.",
            code="start_not_found",
            url=url,
        )

    @classmethod
    def http_error(cls, url: str, status: int) -> CrawlError:
        if status in {401, 403}:
            message = (
                f"The site refused access to that page ({_status_text(status)}). "
                "Only public help centers can be crawled."
            )
        elif status >= 500:
            message = f"The site had an error ({_status_text(status)}). Try again later."
        else:
            message = f"The site answered with an error ({_status_text(status)})."
        return cls(message, code="start_http_error", url=url, detail=str(status))

    @classmethod
    def not_html(cls, url: str, content_type: str) -> CrawlError:
        kind = describe_content_type(content_type)
        hint = " Upload it as a document instead." if kind in {"a PDF file", "a Word document"} else ""
        return cls(f"That address is {kind}, not a web page.{hint}", code="not_html", url=url, detail=content_type)

    @classmethod
    def redirect_loop(cls, url: str) -> CrawlError:
        return cls(
            "The site redirects in a loop, so the page never loads. Check the address.",
            code="redirect_loop",
            url=url,
        )

    @classmethod
    def too_many_redirects(cls, url: str, limit: int) -> CrawlError:
        return cls(
            f"The site redirected more than {limit} times, so the page never loads.",
            code="too_many_redirects",
            url=url,
        )

    @classmethod
    def too_large(cls, url: str, limit: int) -> CrawlError:
        return cls(
            f"The start page is larger than the {_megabytes(limit)} limit for one page.",
            code="start_too_large",
            url=url,
        )

    @classmethod
    def nothing_found(cls, url: str) -> CrawlError:
        return cls(
            "We couldn't find any article text on that site. Check that the address is the help center's home page.",
            code="no_articles",
            url=url,
        )

"""URL normalization and the crawl's scope.

Every URL the crawler meets goes through `normalize_url` once, so the same page
reached as `/Help/a/`, `/help/a?utm_source=x#top` or `HTTP://Example.com:80/help/a`
has one key: lowercase scheme and host, no default port, no fragment, no
tracking parameters, no trailing slash, dot segments resolved, remaining query
parameters sorted."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

from callcenter.knowledge.crawler.errors import CrawlError

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that only say where a visitor came from.
TRACKING_PARAMETERS = frozenset(
    {
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "fbclid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "__hstc",
        "__hssc",
        "__hsfp",
        "hsctatracking",
        "mkt_tok",
        "vero_id",
        "oly_anon_id",
        "oly_enc_id",
        "s_cid",
        "ref",
        "ref_src",
        "referrer",
        "spm",
        "trk",
        "sessionid",
        "phpsessid",
        "jsessionid",
        "sid",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")

# Links to these are never pages: not worth a request.
_BINARY_SUFFIXES = frozenset(
    {
        ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".ico", ".bmp", ".tif", ".tiff", ".avif",
        ".mp3", ".mp4", ".m4a", ".wav", ".ogg", ".webm", ".mov", ".avi",
        ".zip", ".gz", ".tgz", ".rar", ".7z", ".tar", ".dmg", ".exe", ".msi", ".apk",
        ".css", ".js", ".mjs", ".json", ".woff", ".woff2", ".ttf", ".otf", ".eot",
        ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".csv", ".rss", ".atom",
    }
)  # fmt: skip

_PERCENT_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_SESSION_PATH_PARAMETER = re.compile(r";(jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = "/:@!$'()*,;-._~%?"


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def _normalize_path(path: str) -> str:
    path = _SESSION_PATH_PARAMETER.sub("", path)
    if not path.startswith("/"):
        path = "/" + path
    normalized = posixpath.normpath(path)
    # posixpath keeps a leading "//" (POSIX allows it to mean something else); a URL path does not.
    if normalized.startswith("//"):
        normalized = "/" + normalized.lstrip("/")
    if normalized == ".":
        normalized = "/"
    normalized = quote(normalized, safe=_PATH_SAFE)
    return _PERCENT_ESCAPE.sub(lambda match: match.group(0).upper(), normalized)


def _normalize_query(query: str) -> str:
    if not query:
        return ""
    pairs = [(name, value) for name, value in parse_qsl(query, keep_blank_values=True) if not _is_tracking(name)]
    pairs.sort()
    return urlencode(pairs, quote_via=quote, safe=_QUERY_SAFE)


def _normalize_host(host: str) -> str | None:
    host = host.strip().rstrip(".").lower()
    if not host:
        return None
    if ":" in host:  # an IPv6 literal
        return f"[{host}]"
    try:
        host.encode("ascii")
    except UnicodeEncodeError:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if any(char in host for char in " /\\@[]?#"):
        return None
    return host


def normalize_url(url: str, base: str | None = None) -> str | None:
    """The canonical form of an http(s) URL, or None when it is not one worth crawling.

    `base` resolves relative links. URLs carrying credentials are refused."""
    url = url.strip()
    if not url:
        return None
    try:
        if base is not None:
            url = urljoin(base, url)
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or parts.hostname is None:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    host = _normalize_host(parts.hostname)
    if host is None:
        return None
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    path = _normalize_path(parts.path or "/")
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return urlunsplit((scheme, netloc, path, _normalize_query(parts.query), ""))


def looks_binary(url: str) -> bool:
    """True for links to images, archives, styles, documents: never an HTML page."""
    path = urlsplit(url).path.lower()
    return posixpath.splitext(path)[1] in _BINARY_SUFFIXES


def origin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


@dataclass(frozen=True)
class Scope:
    """The pages a crawl may visit: the start page's host and port (http or https), under its path."""

    scheme: str
    netloc: str
    path_prefix: str  # "" for the whole site, else "/help" (no trailing slash)

    @classmethod
    def from_url(cls, url: str, path_prefix: str | None = None) -> Scope:
        """The start page's site, under `path_prefix` if given, else under the start page's own path."""
        parts = urlsplit(url)
        if path_prefix is not None:
            return cls(scheme=parts.scheme, netloc=parts.netloc, path_prefix=normalize_path_prefix(path_prefix))
        path = parts.path or "/"
        last = path.rsplit("/", 1)[-1]
        if "." in last and posixpath.splitext(last)[1].lower() in {".html", ".htm", ".php", ".asp", ".aspx", ".jsp"}:
            path = path.rsplit("/", 1)[0]
        prefix = "" if path in {"", "/"} else path.rstrip("/")
        return cls(scheme=parts.scheme, netloc=parts.netloc, path_prefix=prefix)

    @property
    def url(self) -> str:
        return urlunsplit((self.scheme, self.netloc, self.path_prefix or "/", "", ""))

    def same_site(self, url: str) -> bool:
        return urlsplit(url).netloc == self.netloc

    def adopt(self, url: str) -> str:
        """A same-site URL with the crawl's scheme (http and https of one host are one page)."""
        parts = urlsplit(url)
        if parts.netloc == self.netloc and parts.scheme != self.scheme:
            return urlunsplit((self.scheme, parts.netloc, parts.path, parts.query, ""))
        return url

    def contains(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.netloc != self.netloc:
            return False
        if not self.path_prefix:
            return True
        path = parts.path or "/"
        return path == self.path_prefix or path.startswith(self.path_prefix + "/")


def normalize_path_prefix(path_prefix: str) -> str:
    """A scope's path: "" for the whole site, else "/help" (leading slash, no trailing one).
    Raises ValueError for something that is not an absolute path."""
    path = path_prefix.strip()
    if not path.startswith("/") or any(char.isspace() or char in "?#" for char in path):
        raise ValueError(f"not an absolute path: {path_prefix!r}")
    path = path.rstrip("/")
    return "" if path in {"", "/"} else path


def parse_start_url(url: str) -> str:
    """The normalized start URL, or CrawlError(invalid_url). No network. "help.example.com" means https."""
    text = (url or "").strip()
    if not text or len(text) > 2048 or any(char.isspace() for char in text):
        raise CrawlError.invalid_url(url, "empty, too long or containing spaces")
    scheme = text.split(":", 1)[0].lower() if "://" in text else ""
    if not scheme:
        text = "https://" + text.lstrip("/")
    elif scheme not in {"http", "https"}:
        raise CrawlError.invalid_url(url, f"scheme {scheme}")
    try:
        parts = urlsplit(text)
    except ValueError as error:
        raise CrawlError.invalid_url(url, str(error)) from error
    if parts.username is not None or parts.password is not None:
        raise CrawlError.invalid_url(url, "credentials in the address")
    normalized = normalize_url(text)
    if normalized is None:
        raise CrawlError.invalid_url(url, "not a web address")
    return normalized

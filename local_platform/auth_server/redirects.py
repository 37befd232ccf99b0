"""Which redirect URLs are allowed, as Supabase Auth decides it: the site
URL's host, any loopback IP, or a match for a GOTRUE_URI_ALLOW_LIST glob
(gobwas/glob syntax with '.' and '/' as separators: `*` stays inside one
segment, `**` crosses them, `?`, `[a-z]`, `[!x]`, `{a,b}`)."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import urlsplit

from starlette.requests import Request

_DECIMAL_HOST = re.compile(r"^[0-9]+$")
_REGULAR_HOST = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$")
_SEPARATORS = "./"


def _translate(pattern: str) -> str:
    out: list[str] = []
    i, depth = 0, 0
    not_separator = f"[^{re.escape(_SEPARATORS)}]"
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if char == "*":
            if pattern.startswith("**", i):
                out.append(".*")
                i += 2
            else:
                out.append(f"{not_separator}*")
                i += 1
            continue
        if char == "?":
            out.append(not_separator)
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : end]
                negate = body.startswith("!")
                body = body[1:] if negate else body
                out.append(f"[{'^' if negate else ''}{body.replace(chr(92), chr(92) * 2)}]")
                i = end + 1
                continue
        elif char == "{":
            out.append("(?:")
            depth += 1
        elif char == "}" and depth:
            out.append(")")
            depth -= 1
        elif char == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out) + ")" * depth


@lru_cache(maxsize=256)
def compile_glob(pattern: str) -> re.Pattern[str]:
    return re.compile(f"^(?:{_translate(pattern)})$", re.DOTALL)


def _hostname(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def is_redirect_url_valid(redirect_url: str, site_url: str, allow_list: tuple[str, ...]) -> bool:
    if not redirect_url:
        return False
    try:
        parts = urlsplit(redirect_url)
        host = parts.hostname or ""
    except ValueError:
        return False
    site_host = _hostname(site_url)
    if site_host is not None and site_host == host:
        return True
    scheme = parts.scheme.lower().rstrip(":")
    if _DECIMAL_HOST.match(host):
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if scheme in ("http", "https") and not _REGULAR_HOST.match(host):
        return False
    match_against = redirect_url.split("#", 1)[0]
    return any(compile_glob(pattern).match(match_against) for pattern in allow_list)


def referrer(request: Request, site_url: str, allow_list: tuple[str, ...]) -> str:
    """The redirect target a request asks for (redirect_to header or query,
    then Referer) if allowed, else the site URL."""
    asked = request.headers.get("redirect_to") or request.query_params.get("redirect_to", "")
    if is_redirect_url_valid(asked, site_url, allow_list):
        return asked
    referer = request.headers.get("referer", "")
    if is_redirect_url_valid(referer, site_url, allow_list):
        return referer
    return site_url

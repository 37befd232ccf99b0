"""Pure pieces: redirect allow-list globs, Go durations, configuration, mail parsing."""

from __future__ import annotations

import json

import pytest

from local_platform.auth_server.config import Config
from local_platform.auth_server.durations import parse_duration
from local_platform.auth_server.redirects import compile_glob, is_redirect_url_valid
from local_platform.mailcatcher import extract_links, parse

SITE = "http://127.0.0.1:3000"
ALLOW = ("http://localhost:3000/**", "https://*.example.com/callback", "https://app.example.org/{a,b}/*")


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:3000/anything?x=1", True),  # the site URL's host
        ("http://127.0.0.1:9999/x", True),  # any loopback IP
        ("http://10.0.0.1/x", False),  # other IPs never
        ("http://localhost:3000/auth/callback", True),
        ("http://localhost:3000", False),  # `/**` needs the slash
        ("http://localhost:4000/x", False),
        ("https://eu.example.com/callback", True),
        ("https://a.eu.example.com/callback", False),  # `*` stays within a label
        ("https://app.example.org/a/page", True),
        ("https://app.example.org/c/page", False),
        ("https://app.example.org/a/page/deeper", False),
        ("https://evil.com/?next=http://localhost:3000/", False),
        ("", False),
    ],
)
def test_redirect_allow_list(url: str, allowed: bool) -> None:
    assert is_redirect_url_valid(url, SITE, ALLOW) is allowed


def test_glob_escapes_regex_characters() -> None:
    assert compile_glob("https://x.com/a+b").match("https://x.com/a+b")
    assert not compile_glob("https://x.com/a+b").match("https://x.com/aab")
    assert compile_glob("http://h/[!x]").match("http://h/y")


@pytest.mark.parametrize(("text", "seconds"), [("1m", 60), ("90s", 90), ("1h30m", 5400), ("250ms", 0.25), ("0", 0)])
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


def test_bad_duration() -> None:
    with pytest.raises(ValueError, match="missing unit"):
        parse_duration("10")


def test_config_reads_supabase_auth_variables() -> None:
    jwk = {"kty": "EC", "crv": "P-256", "x": "x", "y": "y", "d": "d", "kid": "k"}
    config = Config.from_env({
        "PORT": "9999", "GOTRUE_API_HOST": "127.0.0.1", "DATABASE_URL": "postgresql://x",
        "API_EXTERNAL_URL": "http://127.0.0.1:54321/auth/v1/", "GOTRUE_SITE_URL": SITE,
        "GOTRUE_URI_ALLOW_LIST": f"{SITE}/**, http://localhost:3000/**", "GOTRUE_JWT_KEYS": json.dumps([jwk]),
        "GOTRUE_JWT_ADMIN_ROLES": "service_role", "GOTRUE_JWT_EXP": "600", "GOTRUE_MAILER_AUTOCONFIRM": "true",
        "GOTRUE_SMTP_MAX_FREQUENCY": "5s", "GOTRUE_HOOK_BEFORE_USER_CREATED_ENABLED": "true",
        "GOTRUE_HOOK_BEFORE_USER_CREATED_URI": "http://127.0.0.1:8000/hooks/auth/before-user-created",
        "GOTRUE_HOOK_BEFORE_USER_CREATED_SECRETS": "v1,whsec_abc|v1,whsec_def",
    })
    assert config.external_url == "http://127.0.0.1:54321/auth/v1"
    assert config.issuer == config.external_url
    assert config.uri_allow_list == (f"{SITE}/**", "http://localhost:3000/**")
    assert config.jwt_admin_roles == ("service_role",) and config.jwt_exp == 600
    assert config.mailer_autoconfirm is True and config.smtp_max_frequency == 5
    assert config.hook_before_user_created is not None
    assert config.hook_before_user_created.secrets == ("v1,whsec_abc", "v1,whsec_def")


RAW = (
    b"From: Call Center <auth@callcenter.local>\r\nTo: a@b.example\r\nSubject: Confirm Your Email\r\n"
    b"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/alternative; boundary="X"\r\n\r\n'
    b"--X\r\nContent-Type: text/plain\r\n\r\nGo to https://h.example/verify?token=1&type=signup.\r\n"
    b'--X\r\nContent-Type: text/html\r\n\r\n<a href="https://h.example/verify?token=1&amp;type=signup">x</a>\r\n'
    b"--X--\r\n"
)


def test_mail_parsing() -> None:
    message = parse(RAW, ["a@b.example"], "auth@callcenter.local")
    assert message.subject == "Confirm Your Email"
    assert message.sender == "Call Center <auth@callcenter.local>"
    assert message.to == ("a@b.example",)
    assert message.date == "2026-11-23T10:00:00Z"
    assert message.links == ("https://h.example/verify?token=1&type=signup",)
    assert "\r" not in message.text


def test_link_extraction_dedupes_in_order() -> None:
    links = extract_links("see http://a.example/1 and http://b.example/2", '<a href="http://a.example/1">a</a>')
    assert links == ("http://a.example/1", "http://b.example/2")

"""JWT signing and verification with the configured asymmetric keys
(GOTRUE_JWT_KEYS), the JWKS document, and the random strings Supabase Auth
uses (refresh tokens, email OTPs and their hashes)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

import jwt
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from local_platform.auth_server.errors import APIError, forbidden

_PUBLIC_FIELDS = {"EC": ("crv", "x", "y"), "RSA": ("n", "e"), "OKP": ("crv", "x")}


def _public_jwk(private: Mapping[str, Any]) -> dict[str, Any]:
    kty = private["kty"]
    public: dict[str, Any] = {"kty": kty, "kid": private["kid"], "alg": private.get("alg", "ES256")}
    for name in _PUBLIC_FIELDS.get(kty, ()):
        public[name] = private[name]
    public["use"] = "sig"
    public["key_ops"] = ["verify"]
    return dict(sorted(public.items()))


def _load_key(jwk: Mapping[str, Any], private: bool) -> Any:
    data = json.dumps(dict(jwk) if private else _public_jwk(jwk))
    if jwk["kty"] == "EC":
        return ECAlgorithm.from_jwk(data)
    if jwk["kty"] == "RSA":
        return RSAAlgorithm.from_jwk(data)
    raise ValueError(f"unsupported JWK key type {jwk['kty']!r}")


class SigningKeys:
    """The one signing key (key_ops contains "sign") and every verification key by kid."""

    def __init__(self, jwks: tuple[dict[str, Any], ...]) -> None:
        signing = [k for k in jwks if "sign" in k.get("key_ops", ["sign"]) and "d" in k]
        if len(signing) != 1:
            raise ValueError("GOTRUE_JWT_KEYS needs exactly one private key that can sign")
        self._signing = signing[0]
        self.kid: str = self._signing["kid"]
        self.algorithm: str = self._signing.get("alg", "ES256")
        self._private = _load_key(self._signing, private=True)
        self._public = {k["kid"]: (_load_key(k, private=False), k.get("alg", "ES256")) for k in jwks}
        self.jwks: dict[str, list[dict[str, Any]]] = {"keys": [_public_jwk(k) for k in jwks]}

    def sign(self, claims: Mapping[str, Any]) -> str:
        return jwt.encode(dict(claims), self._private, algorithm=self.algorithm, headers={"kid": self.kid})

    def verify(self, token: str) -> dict[str, Any]:
        """Claims of a token signed by one of our keys; 403 bad_jwt otherwise (as Supabase Auth)."""
        try:
            header = jwt.get_unverified_header(token)
            kid = header.get("kid")
            if not isinstance(kid, str) or kid not in self._public:
                raise jwt.InvalidTokenError(
                    f"unrecognized JWT kid {kid} for algorithm {header.get('alg')}"
                )
            key, algorithm = self._public[kid]
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=[algorithm], options={"verify_aud": False, "require": []}
            )
        except jwt.ExpiredSignatureError as error:
            raise _bad_jwt("token has invalid claims: token is expired") from error
        except jwt.InvalidTokenError as error:
            raise _bad_jwt(str(error)) from error
        return claims


def _bad_jwt(reason: str) -> APIError:
    return forbidden("bad_jwt", f"invalid JWT: unable to parse or verify signature, {reason}")


def access_token_claims(
    *,
    issuer: str,
    user: Any,
    session_id: str,
    amr: list[dict[str, Any]],
    expires_in: int,
    now: float | None = None,
) -> dict[str, Any]:
    issued_at = int(now if now is not None else time.time())
    return {
        "iss": issuer,
        "sub": str(user.id),
        "aud": user.aud,
        "exp": issued_at + expires_in,
        "iat": issued_at,
        "email": user.email or "",
        "phone": user.phone or "",
        "app_metadata": user.app_metadata,
        "user_metadata": user.user_metadata,
        "role": user.role or "",
        "aal": "aal1",
        "amr": amr,
        "session_id": session_id,
        "is_anonymous": user.is_anonymous,
    }


def secure_alphanumeric(length: int = 12) -> str:
    """Lower-case base32 without padding, like Supabase Auth's refresh tokens."""
    raw = secrets.token_bytes((length * 5 + 7) // 8)
    return base64.b32encode(raw).decode().rstrip("=").lower()[:length]


def generate_otp(digits: int = 6) -> str:
    return str(secrets.randbelow(10**digits)).zfill(digits)


def token_hash(email_or_phone: str, otp: str) -> str:
    """What an email link carries and the database stores: sha224(address + otp) in hex."""
    return hashlib.sha224((email_or_phone + otp).encode()).hexdigest()

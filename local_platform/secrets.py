"""Keys the local platform generates once and keeps in .local/secrets:
the asymmetric JWT signing key (as Supabase's JWT signing keys), the
before-user-created hook secret, and the anon/service-role API keys."""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from local_platform.layout import PATHS

TEN_YEARS = 10 * 365 * 24 * 3600


@dataclass(frozen=True)
class LocalSecrets:
    private_jwk: dict[str, str]
    hook_secret: str  # Standard Webhooks format: "v1,whsec_<base64>"
    anon_key: str
    service_role_key: str

    @property
    def kid(self) -> str:
        return self.private_jwk["kid"]


def _new_private_jwk() -> dict[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    jwk: dict[str, str] = json.loads(ECAlgorithm.to_jwk(key))
    jwk.update({"kid": secrets.token_hex(8), "alg": "ES256", "use": "sig", "key_ops": ["sign", "verify"]})  # type: ignore[dict-item]
    return jwk


def _api_key(jwk: dict[str, str], role: str, issuer: str) -> str:
    key = ECAlgorithm.from_jwk(json.dumps(jwk))
    now = int(time.time())
    return jwt.encode(
        {"iss": issuer, "role": role, "iat": now, "exp": now + TEN_YEARS},
        key,  # type: ignore[arg-type]
        algorithm="ES256",
        headers={"kid": jwk["kid"]},
    )


def load_or_create(issuer: str) -> LocalSecrets:
    PATHS.ensure()
    path = PATHS.secrets / "local-secrets.json"
    if path.exists():
        data = json.loads(path.read_text())
    else:
        jwk = _new_private_jwk()
        data = {
            "private_jwk": jwk,
            "hook_secret": "v1,whsec_" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "anon_key": _api_key(jwk, "anon", issuer),
            "service_role_key": _api_key(jwk, "service_role", issuer),
        }
        path.write_text(json.dumps(data, indent=2))
        path.chmod(0o600)
    return LocalSecrets(**data)

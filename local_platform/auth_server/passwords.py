"""Passwords as Supabase Auth keeps them: bcrypt (cost 10) in
auth.users.encrypted_password, with its strength rules and messages."""

from __future__ import annotations

import asyncio
import secrets
import string

import bcrypt

from local_platform.auth_server.errors import validation, weak_password

MAX_PASSWORD_LENGTH = 72
BCRYPT_COST = 10


def _hash(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=BCRYPT_COST)).decode()


def _matches(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode(), hashed.encode())
    except ValueError:
        return False


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hash, password)


async def password_matches(password: str, hashed: str | None) -> bool:
    if not hashed:
        return False
    return await asyncio.to_thread(_matches, password, hashed)


def check_strength(password: str, min_length: int, required_characters: tuple[str, ...] = ()) -> None:
    if len(password) > MAX_PASSWORD_LENGTH:
        raise validation(f"Password cannot be longer than {MAX_PASSWORD_LENGTH} characters")
    messages: list[str] = []
    reasons: list[str] = []
    if len(password) < min_length:
        reasons.append("length")
        messages.append(f"Password should be at least {min_length} characters.")
    for characters in required_characters:
        if characters and not any(c in password for c in characters):
            reasons.append("characters")
            messages.append(
                "Password should contain at least one character of each: "
                f"{', '.join(required_characters)}."
            )
            break
    if reasons:
        raise weak_password(" ".join(messages), reasons)


def random_password(length: int = 64) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))

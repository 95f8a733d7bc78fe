"""Seal bytes with the app's SECRET_KEY (Fernet: AES-CBC + HMAC), for what the database may hold only
unreadably: a cards PDF waiting for its download (the PINs on it). The key is derived per purpose and record,
so a database copy without the secret key reads nothing, and one sealed result never opens another."""
from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def _fernet(purpose: str, secret_key: str | None = None) -> Fernet:
    secret = secret_key or current_app.config["SECRET_KEY"]
    key = hashlib.sha256(f"siaga-sealed:{purpose}:".encode() + str(secret).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(data: bytes, purpose: str, secret_key: str | None = None) -> bytes:
    return _fernet(purpose, secret_key).encrypt(data)


def unseal(token: bytes, purpose: str, secret_key: str | None = None) -> bytes | None:
    """The data, or None when it was sealed with another key or purpose (or altered)."""
    try:
        return _fernet(purpose, secret_key).decrypt(token)
    except InvalidToken:
        return None

"""The application server's VAPID key pair (RFC 8292): how push services know our pushes are ours.

From the environment (or the app's config): VAPID_PRIVATE_KEY (base64url of the raw 32-byte key or of its
DER, or a PEM) and VAPID_SUBJECT (a mailto: or https: contact the push services may write to). Without
VAPID_PRIVATE_KEY a key is generated once into the instance folder (`vapid_private.pem`), created
atomically so the web workers and the worker process, which all read it, share one pair: a browser
subscribed with one public key only accepts pushes signed by its private key.
"""
from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass

from flask import Flask
from py_vapid import Vapid
from py_vapid.utils import b64urlencode
from cryptography.hazmat.primitives import serialization

KEY_FILE = "vapid_private.pem"
DEFAULT_SUBJECT = "mailto:admin@siaga-tps.invalid"


@dataclass(frozen=True)
class VapidKeys:
    vapid: Vapid
    public_key: str  # base64url of the uncompressed point: the browser's applicationServerKey
    subject: str


def vapid_keys(app: Flask) -> VapidKeys:
    """The app's keys, read (or made) once per process."""
    keys = app.extensions.get("siaga_vapid")
    if keys is None:
        keys = app.extensions["siaga_vapid"] = _load(app)
    return keys


def _setting(app: Flask, name: str) -> str:
    return (app.config.get(name) or os.environ.get(name) or "").strip()


def _load(app: Flask) -> VapidKeys:
    from siaga.config import ConfigError

    configured = _setting(app, "VAPID_PRIVATE_KEY")
    try:
        if "-----BEGIN" in configured:
            vapid = Vapid.from_pem(configured.encode())
        elif configured:
            vapid = Vapid.from_string(configured)
        else:
            if app.config.get("SIAGA_ENV") == "production":
                logging.getLogger(__name__).warning(
                    "VAPID_PRIVATE_KEY is not set: using %s; several app servers need the same key (docs/DEPLOY.md)",
                    os.path.join(app.instance_path, KEY_FILE))
            vapid = Vapid.from_pem(_instance_key(app.instance_path))
    except Exception as exc:  # noqa: BLE001 - whatever py_vapid could not read
        raise ConfigError(f"VAPID_PRIVATE_KEY is not a P-256 private key ({exc.__class__.__name__}).") from None
    subject = _setting(app, "VAPID_SUBJECT") or DEFAULT_SUBJECT
    if not subject.startswith(("mailto:", "https://")):
        raise ConfigError(f"VAPID_SUBJECT must be a mailto: or https: address; got {subject!r}.")
    point = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    public = b64urlencode(point)
    expected = _setting(app, "VAPID_PUBLIC_KEY")
    if expected and expected.rstrip("=") != public:
        raise ConfigError("VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY (leave it unset: it is derived).")
    return VapidKeys(vapid, public, subject)


def _instance_key(instance_path: str) -> bytes:
    """The instance folder's key, made if missing: written to a temporary file and linked into place, so of
    two processes starting at once one key wins and neither reads a half-written file."""
    path = os.path.join(instance_path, KEY_FILE)
    if not os.path.exists(path):
        fresh = Vapid()
        fresh.generate_keys()
        handle, temporary = tempfile.mkstemp(dir=instance_path, prefix=".vapid-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(fresh.private_pem())
            os.chmod(temporary, 0o600)
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process made it first: theirs it is
        finally:
            os.unlink(temporary)
    with open(path, "rb") as key_file:
        return key_file.read()

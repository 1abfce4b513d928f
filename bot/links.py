"""Unguessable, expiring links to report pages: HMAC over the interview id and an expiry time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from pathlib import Path


def load_secret(data_dir: Path, configured: str | None = None) -> bytes:
    """IB_LINK_SECRET if set, else a random key created once in the data directory."""
    if configured:
        return configured.encode()
    path = data_dir / "link.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


def sign(secret: bytes, interview_id: str, ttl_s: float, now: float | None = None) -> str:
    expires = int((now or time.time()) + ttl_s)
    mac = hmac.new(secret, f"{interview_id}.{expires}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{expires}.{mac}"


def verify(secret: bytes, interview_id: str, token: str, now: float | None = None) -> bool:
    try:
        expires_s, mac = token.split(".", 1)
        expires = int(expires_s)
    except ValueError:
        return False
    good = hmac.new(secret, f"{interview_id}.{expires}".encode(), hashlib.sha256).hexdigest()[:32]
    # bytes: compare_digest refuses a non-ASCII str (a TypeError would be a 500)
    return (
        hmac.compare_digest(good.encode(), mac.encode("utf-8", "replace")) and (now or time.time()) <= expires
    )

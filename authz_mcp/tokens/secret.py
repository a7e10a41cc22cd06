"""The personal access token itself: `amcp_` and 256 random bits, stored only as a hash.

A hash is enough at rest because the secret is a uniformly random 256-bit value: a slow,
salted password hash guards low-entropy secrets against guessing, which cannot succeed here.
The hash doubles as the lookup key, so verification costs one store read.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

from authz_mcp.auth.authenticator import PAT_PREFIX

SECRET_BYTES = 32
# base64url of 32 bytes, without padding, is 43 characters.
_TOKEN = re.compile(rf"{PAT_PREFIX}[A-Za-z0-9_-]{{43}}")


def new_token() -> str:
    """A fresh token from the operating system's CSPRNG."""
    secret = base64.urlsafe_b64encode(secrets.token_bytes(SECRET_BYTES)).rstrip(b"=").decode("ascii")
    return PAT_PREFIX + secret


def new_token_id() -> str:
    """The token's public handle, for listing and revoking; reveals nothing of the secret."""
    return secrets.token_hex(8)


def is_well_formed(token: str) -> bool:
    """Whether `token` has the shape of a token this gateway issues (checked before any lookup)."""
    return _TOKEN.fullmatch(token) is not None


def token_hash(token: str) -> str:
    """What the store keeps: the hex SHA-256 of the whole token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()

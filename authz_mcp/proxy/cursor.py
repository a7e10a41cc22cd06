"""Opaque, tamper-evident list cursors handed to clients.

A cursor is client-controlled input: it is MACed with a gateway key and bound to
the list kind and the principal, so a forged or foreign cursor is `-32602`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from authz_mcp.errors import InvalidParams


class CursorCodec:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:16]

    def encode(self, kind: str, principal: str, offset: int) -> str:
        payload = json.dumps([kind, hashlib.sha256(principal.encode()).hexdigest()[:16], offset]).encode()
        token = payload + b"." + self._mac(payload)
        return base64.urlsafe_b64encode(token).decode().rstrip("=")

    def decode(self, cursor: object, kind: str, principal: str) -> int:
        if not isinstance(cursor, str) or len(cursor) > 512:
            raise InvalidParams("Invalid cursor")
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            payload, mac = raw[:-17], raw[-16:]
            if raw[-17:-16] != b"." or not hmac.compare_digest(mac, self._mac(payload)):
                raise ValueError("bad mac")
            cursor_kind, cursor_principal, offset = json.loads(payload)
        except (ValueError, TypeError) as exc:
            raise InvalidParams("Invalid cursor") from exc
        principal_hash = hashlib.sha256(principal.encode()).hexdigest()[:16]
        if (
            cursor_kind != kind
            or cursor_principal != principal_hash
            or not isinstance(offset, int)
            or offset < 0
        ):
            raise InvalidParams("Invalid cursor")
        return offset

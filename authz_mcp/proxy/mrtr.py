"""`requestState` as the gateway hands it to modern clients: wrapped, MACed, bound.

2026-07-28 basic/patterns/mrtr: "servers MUST treat requestState as an
attacker-controlled input. If requestState influences authorization, resource
access, or business logic, servers MUST protect its integrity (e.g. HMAC or
AEAD) and MUST reject state that fails verification." It SHOULD carry "the
authenticated principal", "a short expiry (TTL)" and "an identifier for the
originating request". The gateway wraps whatever it hands out (an upstream's
own state, or the id of an exchange parked here) in exactly that, so a state
issued to one user for one item never works for another user, another item,
another method or after its expiry.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from authz_mcp.errors import InvalidParams
from authz_mcp.jsonrpc import JSONObject

STATE_TTL_SECONDS = 600.0
MAX_STATE_CHARS = 256 * 1024
_CONTEXT = b"authz-mcp requestState v1"

Kind = Literal["upstream", "exchange"]


@dataclass(frozen=True, slots=True)
class RequestState:
    """What a wrapped state stands for."""

    upstream: str
    method: str
    item: str
    """The upstream's own name of the tool or prompt, or the resource URI."""
    kind: Kind
    value: str
    """The upstream's requestState ("upstream"), or an exchange reference ("exchange")."""


def request_item(method: str, params: JSONObject) -> str:
    """What an MRTR state is bound to: the upstream's name of the tool or prompt, or the URI."""
    value = params.get("uri" if method == "resources/read" else "name")
    return value if isinstance(value, str) else ""


class RequestStateCodec:
    def __init__(self, key: bytes, clock: Callable[[], float] = time.time) -> None:
        self._key = hmac.new(key, _CONTEXT, hashlib.sha256).digest()
        self._clock = clock

    def wrap(self, principal: str, state: RequestState) -> str:
        payload = json.dumps(
            {
                "p": self._principal(principal),
                "u": state.upstream,
                "m": state.method,
                "i": state.item,
                "k": state.kind,
                "v": state.value,
                "x": int(self._clock() + STATE_TTL_SECONDS),
            },
            separators=(",", ":"),
        ).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def unwrap(self, token: object, principal: str, method: str, item: str) -> RequestState:
        """The state behind `token`, if this gateway issued it to `principal` for this request.

        Everything else (forged, altered, expired, another user's, another request's) is
        the same `-32602`, so a probe learns nothing about why.
        """
        invalid = InvalidParams("Invalid requestState")
        if not isinstance(token, str) or len(token) > MAX_STATE_CHARS or token.count(".") != 1:
            raise invalid
        encoded, mac = token.split(".")
        try:
            payload = _unb64(encoded)
            valid = hmac.compare_digest(_unb64(mac), self._mac(payload))
            claims = json.loads(payload) if valid else None
        except (ValueError, binascii.Error) as exc:
            raise invalid from exc
        if not isinstance(claims, dict):
            raise invalid
        expected = {"p": self._principal(principal), "m": method, "i": item}
        if any(claims.get(key) != value for key, value in expected.items()):
            raise invalid
        expiry, upstream, kind, value = (claims.get(key) for key in ("x", "u", "k", "v"))
        if not isinstance(expiry, int) or expiry < self._clock():
            raise invalid
        if not (isinstance(upstream, str) and isinstance(value, str) and kind in ("upstream", "exchange")):
            raise invalid
        return RequestState(upstream, method, item, kind, value)

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()

    def _principal(self, principal: str) -> str:
        return hmac.new(self._key, principal.encode(), hashlib.sha256).hexdigest()[:32]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

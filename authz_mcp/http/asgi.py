"""Small ASGI helpers: typed aliases, header access, JSON and error responses."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from authz_mcp.errors import BodyTooLarge, GatewayError, InvalidRequest, http_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


OWS = " \t"
"""RFC 9110 §5.6.3 optional whitespace, which §5.5 excludes from a field value."""


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header (names compared in lower case), without the
    surrounding whitespace that is not part of a field value (RFC 9110 §5.5)."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1")).strip(OWS)
    return None


def repeated_header(scope: Scope, wanted: Callable[[str], bool]) -> str | None:
    """The name of the first header selected by `wanted` that the request sends more than once."""
    seen: set[bytes] = set()
    for key, _ in scope.get("headers", ()):
        if key in seen and wanted(key.decode("latin-1")):
            return str(key.decode("latin-1"))
        seen.add(key)
    return None


def client_address(scope: Scope) -> str | None:
    """The peer's `host:port`, as the server saw it."""
    client = scope.get("client")
    if not client:
        return None
    host, port = client
    return f"{host}:{port}"


def encode_json(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


async def send_json(send: Send, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
    body = encode_json(payload)
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw.extend((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items())
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Send, error: GatewayError, headers: dict[str, str] | None = None) -> None:
    status = error.http_status if error.http_status >= 400 else 400
    await send_json(send, status, http_body(error), {**error.headers(), **(headers or {})})


async def send_empty(send: Send, status: int, headers: dict[str, str] | None = None) -> None:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": b""})


def declared_too_large(scope: Scope, limit: int) -> bool:
    """True when the request announces a body over `limit` (checked before reading it)."""
    declared = header(scope, b"content-length")
    return declared is not None and declared.isdigit() and int(declared) > limit


async def read_body(receive: Receive, limit: int) -> bytes:
    """The request body, read as it streams in; `BodyTooLarge` as soon as it passes `limit`
    (a chunked body announces no length), `InvalidRequest` if the client goes away."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise InvalidRequest("Client disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def refuse_upgrade(
    scope: Scope, receive: Receive, send: Send, error: GatewayError, headers: dict[str, str] | None = None
) -> None:
    """Refuse a WebSocket handshake with the HTTP error response `/mcp` would give (ASGI
    "WebSocket Denial Response" extension); a server without it can only close (403)."""
    connect = await receive()
    if connect["type"] != "websocket.connect":
        return
    if "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1008})
        return

    async def denial(message: Message) -> None:
        await send({**message, "type": f"websocket.{message['type']}"})

    await send_error(denial, error, headers)

"""MCP over WebSocket: one connection, one session, one JSON-RPC message per text frame.

The handshake must offer the `mcp` subprotocol (RFC 6455 §1.9) and carry the same
bearer credentials as /mcp: a refused token gets the same 401 and challenge,
before any upgrade. The connection's session is bound to that user. The
credentials are checked again for every message, so a token that expires or is
revoked mid-connection closes the connection instead of outliving its validity.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio

from authz_mcp.auth.authenticator import Authenticator
from authz_mcp.auth.challenge import www_authenticate
from authz_mcp.errors import (
    AuthenticationError,
    GatewayError,
    InsufficientScope,
    InvalidRequest,
    ParseError,
    jsonrpc_error_response,
)
from authz_mcp.http.asgi import Message, Receive, Scope, Send, encode_json, refuse_upgrade
from authz_mcp.http.credentials import authenticate
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.proxy.channel import Channel
from authz_mcp.proxy.gateway import Gateway

logger = logging.getLogger(__name__)

WEBSOCKET_PATH = "/ws"
SUBPROTOCOL = "mcp"

# RFC 6455 §7.4.1 status codes.
_NORMAL, _POLICY_VIOLATION, _TOO_BIG = 1000, 1008, 1009


class SubprotocolRequired(InvalidRequest):
    public_message = "The WebSocket handshake must offer the mcp subprotocol"


class _Socket:
    """The accepted connection's sending side; an outbox for the channel."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._lock = anyio.Lock()
        self.closed = False

    async def send(self, message: JSONObject) -> bool:
        async with self._lock:
            if self.closed:
                return False
            try:
                await self._send({"type": "websocket.send", "text": encode_json(message).decode()})
            except OSError:
                self.closed = True
                return False
            return True

    async def close(self, code: int) -> None:
        async with self._lock:
            if not self.closed:
                self.closed = True
                try:
                    await self._send({"type": "websocket.close", "code": code})
                except OSError:
                    logger.debug("connection already closed by the client")


class WebSocketEndpoint:
    def __init__(self, gateway: Gateway, authenticator: Authenticator, resource_metadata_url: str) -> None:
        self.gateway = gateway
        self.authenticator = authenticator
        self.resource_metadata_url = resource_metadata_url
        self.max_message = gateway.config.server.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            if SUBPROTOCOL not in scope.get("subprotocols", ()):
                raise SubprotocolRequired()
            identity = await authenticate(self.authenticator, scope)
        except (AuthenticationError, InsufficientScope) as exc:
            scopes = self.gateway.config.auth.required_scopes
            challenge = www_authenticate(exc, self.resource_metadata_url, scopes)
            await refuse_upgrade(scope, receive, send, exc, {"WWW-Authenticate": challenge})
            return
        except GatewayError as exc:
            await refuse_upgrade(scope, receive, send, exc)
            return
        if (await receive())["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept", "subprotocol": SUBPROTOCOL})
        socket = _Socket(send)
        try:
            with self.gateway.metrics.open_stream("websocket"):
                async with anyio.create_task_group() as group:
                    channel = Channel(self.gateway.channels, identity, socket.send, group)
                    try:
                        code = await self._serve(channel, scope, receive, socket)
                    finally:
                        group.cancel_scope.cancel()
                        await channel.close()
                await socket.close(code)
        finally:
            socket.closed = True

    async def _serve(self, channel: Channel, scope: Scope, receive: Receive, socket: _Socket) -> int:
        """Feed frames to the channel until the client leaves; the close code to send."""
        while True:
            frame = await receive()
            if frame["type"] == "websocket.disconnect":
                return _NORMAL
            text = _text_of(frame)
            if len(text) > self.max_message:
                return _TOO_BIG
            try:
                identity = await authenticate(self.authenticator, scope)
            except (AuthenticationError, InsufficientScope):
                return _POLICY_VIOLATION
            if identity.key != channel.owner.key:
                return _POLICY_VIOLATION
            try:
                await channel.receive(identity, _parse(text))
            except GatewayError as exc:
                await socket.send(jsonrpc_error_response(None, exc))


def _text_of(frame: Message) -> str:
    text = frame.get("text")
    if text is None:
        data = frame.get("bytes") or b""
        text = data.decode("utf-8", errors="replace")
    return str(text)


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ParseError() from exc

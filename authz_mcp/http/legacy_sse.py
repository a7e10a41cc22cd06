"""The HTTP+SSE transport of MCP 2024-11-05, for clients that speak only it.

"The server MUST provide two endpoints: an SSE endpoint, for clients to establish
a connection and receive messages from the server; a regular HTTP POST endpoint
for clients to send messages to the server." On connect, "the server MUST send an
`endpoint` event containing a URI for the client to use for sending messages";
every server message is then an SSE `message` event. (2024-11-05 basic/transports)

Both endpoints authenticate every request like /mcp. The message URL names a
connection bound to the user who opened it: another user's token on it gets the
same 404 as an unknown connection. Connections live in this process, so several
workers or replicas need the client's requests routed to one of them (sticky).
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import anyio
from starlette.routing import Route

from authz_mcp.auth.authenticator import Authenticator
from authz_mcp.auth.identity import Identity
from authz_mcp.errors import (
    BodyTooLarge,
    GatewayError,
    MethodNotAllowed,
    ParseError,
    SessionNotFound,
    UnsupportedMediaType,
)
from authz_mcp.http.asgi import (
    ASGIApp,
    Receive,
    Scope,
    Send,
    declared_too_large,
    header,
    read_body,
    send_json,
)
from authz_mcp.http.credentials import authenticate
from authz_mcp.http.refusal import send_refusal
from authz_mcp.http.streams import EventStream, keep_alive
from authz_mcp.proxy.channel import Channel
from authz_mcp.proxy.gateway import Gateway

SSE_PATH = "/sse"
MESSAGE_PATH = "/messages"


@dataclass
class _Connection:
    owner: Identity
    channel: Channel


class LegacySseTransport:
    """The connections opened by `GET /sse`, and their `POST /messages?session_id=…`."""

    def __init__(self, gateway: Gateway, authenticator: Authenticator, resource_metadata_url: str) -> None:
        self.gateway = gateway
        self.authenticator = authenticator
        self.resource_metadata_url = resource_metadata_url
        self.max_body = gateway.config.server.max_body_bytes
        self.message_path = urlsplit(gateway.config.server.base_url).path.rstrip("/") + MESSAGE_PATH
        self._connections: dict[str, _Connection] = {}

    def routes(self) -> list[Route]:
        return [
            Route(SSE_PATH, _Endpoint(self, self._stream, "GET")),
            Route(MESSAGE_PATH, _Endpoint(self, self._message, "POST")),
        ]

    async def _authenticate(self, scope: Scope) -> Identity:
        return await authenticate(self.authenticator, scope)

    async def _stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        identity = await self._authenticate(scope)
        connection_id = secrets.token_urlsafe(32)
        stream = EventStream(send)
        outbox = stream.send
        try:
            with self.gateway.metrics.open_stream("sse"):
                async with anyio.create_task_group() as group:
                    channel = Channel(self.gateway.channels, identity, outbox, group)
                    self._connections[connection_id] = _Connection(identity, channel)
                    await stream.event("endpoint", f"{self.message_path}?session_id={connection_id}")
                    group.start_soon(keep_alive, stream)
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    # Before the task group ends: a message POSTed from now on gets a 404,
                    # never a task started in a group that is gone.
                    channel.stop_receiving()
                    group.cancel_scope.cancel()
        finally:
            connection = self._connections.pop(connection_id, None)
            if connection is not None:
                await connection.channel.close()
            await stream.close()

    async def _message(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = (header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise UnsupportedMediaType()
        if declared_too_large(scope, self.max_body):
            raise BodyTooLarge()
        identity = await self._authenticate(scope)
        connection = self._connection(scope, identity)
        try:
            message = json.loads(await read_body(receive, self.max_body))
        except (ValueError, RecursionError) as exc:
            raise ParseError() from exc
        await connection.channel.receive(identity, message)
        # 2024-11-05: the reply travels on the SSE stream; the POST is only accepted.
        await send_json(send, 202, {"status": "accepted"})

    def _connection(self, scope: Scope, identity: Identity) -> _Connection:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        ids = query.get("session_id") or [""]
        connection = self._connections.get(ids[0])
        if connection is None or not hmac.compare_digest(
            connection.owner.key.encode(), identity.key.encode()
        ):
            raise SessionNotFound()
        return connection


class _Endpoint:
    """One of the two endpoints, as an ASGI app rendering refusals like /mcp does."""

    def __init__(self, transport: LegacySseTransport, serve: ASGIApp, method: str) -> None:
        self._transport = transport
        self._serve = serve
        self._method = method

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            if scope["method"] != self._method:
                raise MethodNotAllowed()
            await self._serve(scope, receive, send)
        except GatewayError as exc:
            config = self._transport.gateway.config
            url = self._transport.resource_metadata_url
            await send_refusal(send, exc, url, config.auth.required_scopes, self._method)

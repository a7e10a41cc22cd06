"""The MCP endpoint, Streamable HTTP (spec 2025-11-25 basic/transports).

One request, in order (DESIGN §1): size limit -> authenticate -> parse ->
resolve the session -> dispatch -> relay the reply as JSON, or as SSE when the
upstream sends anything before its response.
"""

from __future__ import annotations

import json
import logging
from functools import partial
from typing import Any

import anyio

from authz_mcp.auth.authenticator import Authenticator
from authz_mcp.auth.identity import Identity
from authz_mcp.errors import (
    BodyTooLarge,
    GatewayError,
    HeaderMismatch,
    InvalidRequest,
    MethodNotAllowed,
    NotAcceptable,
    ParseError,
    StoreUnavailable,
    UnsupportedMediaType,
    jsonrpc_error_response,
)
from authz_mcp.http.asgi import (
    Receive,
    Scope,
    Send,
    declared_too_large,
    header,
    read_body,
    repeated_header,
    send_empty,
)
from authz_mcp.http.credentials import authenticate
from authz_mcp.http.modern import is_modern, serve_modern
from authz_mcp.http.observe import note_access, trace_parent
from authz_mcp.http.refusal import send_refusal
from authz_mcp.http.streams import EventStream
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.protocol import SESSION_HEADER, VERSION_HEADER
from authz_mcp.proxy.gateway import Gateway
from authz_mcp.sessions import SessionRecord

logger = logging.getLogger(__name__)


def _single_valued(name: str) -> bool:
    return name.startswith("mcp-") or name == "authorization"


def _accepts(scope: Scope, *types: str) -> bool:
    accept = (header(scope, b"accept") or "").lower()
    offered = {part.split(";")[0].strip() for part in accept.split(",")}
    return "*/*" in offered or all(t in offered for t in types)


class McpEndpoint:
    def __init__(self, gateway: Gateway, authenticator: Authenticator, resource_metadata_url: str) -> None:
        self.gateway = gateway
        self.authenticator = authenticator
        self.resource_metadata_url = resource_metadata_url
        self.max_body = gateway.config.server.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._serve(scope, receive, send)
        except GatewayError as exc:
            if isinstance(exc, StoreUnavailable):
                self.gateway.metrics.store_errors.inc()
            scopes = self.gateway.config.auth.required_scopes
            await send_refusal(send, exc, self.resource_metadata_url, scopes, "GET, POST, DELETE")

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        if method not in ("POST", "GET", "DELETE"):
            raise MethodNotAllowed()
        repeated = repeated_header(scope, _single_valued)
        if repeated is not None:
            # Readers taking the first copy and readers taking the last would disagree about
            # the session, version, method or credentials of the request.
            raise HeaderMismatch(f"{repeated} header appears more than once")
        if method == "POST":
            await self._post(scope, receive, send)
        elif method == "GET":
            await self._get(scope, receive, send)
        else:
            await self._delete(scope, send)

    async def _authenticate(self, scope: Scope) -> Identity:
        return await authenticate(self.authenticator, scope)

    async def _session(self, scope: Scope, identity: Identity) -> SessionRecord:
        return await self.gateway.entry.legacy_session(
            identity, header(scope, SESSION_HEADER), header(scope, VERSION_HEADER)
        )

    async def _post(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _accepts(scope, "application/json", "text/event-stream"):
            raise NotAcceptable()
        content_type = (header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise UnsupportedMediaType()
        if declared_too_large(scope, self.max_body):
            raise BodyTooLarge()
        identity = await self._authenticate(scope)
        message = _parse(await read_body(receive, self.max_body))
        session_id = header(scope, SESSION_HEADER)
        if is_modern(scope, message):
            # 2026-07-28 (basic/versioning, dual-era servers): a request carrying the
            # modern version or `_meta` envelope, and no session, is served statelessly.
            await serve_modern(self.gateway, identity, scope, receive, send, message)
            return
        # Until `initialize` has answered, a stream started by the upstream carries no session.
        stream = EventStream(send, {"mcp-session-id": session_id} if session_id else None)
        try:
            reply = await self.gateway.entry.handle_legacy(
                identity,
                session_id,
                message,
                stream.send,
                protocol_version=header(scope, VERSION_HEADER),
                trace_parent=trace_parent(scope),
                on_accepted=partial(note_access, scope, identity),
            )
        except GatewayError as exc:
            if not stream.started:
                raise  # rendered as an HTTP error by `__call__`
            await stream.reply(jsonrpc_error_response(message["id"], exc))
            return
        if reply.message is None:
            await send_empty(send, 202)
            return
        await stream.reply(
            reply.message, headers={"mcp-session-id": reply.session_id} if reply.session_id else {}
        )

    async def _get(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _accepts(scope, "text/event-stream"):
            raise NotAcceptable()
        identity = await self._authenticate(scope)
        session = await self._session(scope, identity)
        await self.gateway.admit(identity, session.session_id, "GET stream")
        stream = EventStream(send)
        # One bound method for attach and detach: detach compares outboxes by identity.
        outbox = stream.send
        notifications = self.gateway.notifications
        try:
            with self.gateway.metrics.open_stream("get"):
                async with anyio.create_task_group() as group:
                    # Registered before the response starts: once the client sees the stream
                    # open, nothing sent to it can be missed.
                    await notifications.attach(identity, session, outbox, group)
                    await stream.open({"mcp-session-id": session.session_id})
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    group.cancel_scope.cancel()
        finally:
            notifications.detach(session.session_id, outbox)
            await stream.close()

    async def _delete(self, scope: Scope, send: Send) -> None:
        identity = await self._authenticate(scope)
        session = await self._session(scope, identity)
        await self.gateway.end_session(session)
        await send_empty(send, 204)


def _parse(body: bytes) -> Any:
    try:
        message = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ParseError() from exc
    if isinstance(message, list):
        # JSON-RPC batching was removed in protocol 2025-06-18.
        raise InvalidRequest("JSON-RPC batches are not supported")
    return message


__all__ = ["JSONObject", "McpEndpoint"]

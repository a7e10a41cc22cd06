"""The MCP endpoint for 2026-07-28 ("modern") requests: no session, everything per request.

A dual-era server "selects its behavior from how the client opens: A request
carrying modern per-request `_meta` is served statelessly according to this
revision" (2026-07-28 basic/versioning). The proxy checks the headers against the
body (`proxy/entry.py`, `Entry.handle_modern`); this module gives it the headers and
renders its reply. Closing the response stream cancels the request ("Closing the
SSE response stream MUST be treated by the server as cancellation of that request").
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from functools import partial
from typing import Any

import anyio
from mcp.shared.inbound import ERROR_CODE_HTTP_STATUS

from authz_mcp.auth.identity import Identity
from authz_mcp.errors import GatewayError, jsonrpc_error_response
from authz_mcp.http.asgi import OWS, Receive, Scope, Send, send_empty
from authz_mcp.http.observe import note_access, trace_parent
from authz_mcp.http.streams import EventStream, keep_alive
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.protocol import LEGACY_VERSIONS, SESSION_HEADER, VERSION_HEADER, has_envelope
from authz_mcp.proxy.entry import Reply
from authz_mcp.proxy.gateway import Gateway
from authz_mcp.proxy.modern_checks import Headers

logger = logging.getLogger(__name__)


def is_modern(scope: Scope, message: Any) -> bool:
    """Whether a POST opens (and is served in) the modern era rather than the legacy one.

    `initialize` opens the legacy era, unless it names a modern version in its header or
    envelope: then it is a removed method of that era (404 with -32601, below)."""
    if not isinstance(message, dict):
        return False
    headers = dict(scope.get("headers", ()))
    if SESSION_HEADER in headers:
        return False
    version = headers.get(VERSION_HEADER)
    if version is not None and version.decode("latin-1").strip(OWS) not in LEGACY_VERSIONS:
        return True
    params = message.get("params")
    return has_envelope(params if isinstance(params, dict) else None)


def status_of(response: JSONObject) -> int:
    """The HTTP status of a JSON reply: 2026-07-28 transports tie some codes to statuses
    ("respond with 404 Not Found and a JSON-RPC error with code -32601"; 400 for the
    header, envelope and version errors), as the SDK's own table does."""
    error = response.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    return ERROR_CODE_HTTP_STATUS.get(code, 200) if isinstance(code, int) else 200


def header_map(scope: Scope) -> Headers:
    """Every request header by lower-case name, with all of its values, trimmed: RFC 9110
    §5.5 "a field value does not include leading or trailing whitespace", so a parser
    excludes it before the value is compared with the body."""
    headers: Headers = {}
    for name, value in scope.get("headers", ()):
        headers.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1").strip(OWS))
    return headers


async def serve_modern(
    gateway: Gateway, identity: Identity, scope: Scope, receive: Receive, send: Send, message: Any
) -> None:
    stream = EventStream(send)
    failure: GatewayError | None = None
    listening = isinstance(message, dict) and message.get("method") == "subscriptions/listen"
    try:
        with gateway.metrics.open_stream("listen") if listening else nullcontext():
            async with anyio.create_task_group() as group:
                group.start_soon(_cancel_on_disconnect, receive, group.cancel_scope)
                if listening:
                    group.start_soon(keep_alive, stream)
                try:
                    reply = await gateway.entry.handle_modern(
                        identity,
                        message,
                        stream.send,
                        headers=header_map(scope),
                        trace_parent=trace_parent(scope),
                        on_accepted=partial(note_access, scope, identity),
                    )
                except GatewayError as exc:
                    if not stream.started:
                        failure = exc  # raised below, outside the task group, for the endpoint to render
                    else:
                        await stream.reply(jsonrpc_error_response(message["id"], exc))
                else:
                    await _render(stream, send, reply)
                group.cancel_scope.cancel()
    finally:
        await stream.close()
    if failure is not None:
        raise failure


async def _render(stream: EventStream, send: Send, reply: Reply) -> None:
    if reply.message is None:
        await send_empty(send, 202)
    else:
        await stream.reply(reply.message, status_of(reply.message))


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()

"""The MCP endpoint for 2026-07-28 ("modern") requests: no session, everything per request.

A dual-era server "selects its behavior from how the client opens: A request
carrying modern per-request `_meta` is served statelessly according to this
revision" (2026-07-28 basic/versioning). Before anything is routed, the
headers an intermediary may act on are checked against the body (2026-07-28
transports "Server Validation": "Servers that process the request body MUST
reject requests where the values specified in the headers do not match the
corresponding values in the request body"). Authorization then reads only the
body. Closing the response stream cancels the request ("Closing the SSE
response stream MUST be treated by the server as cancellation of that request").
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from typing import Any

import anyio
from mcp.shared.inbound import ERROR_CODE_HTTP_STATUS

from authz_mcp.auth import Identity
from authz_mcp.errors import (
    GatewayError,
    InvalidRequest,
    UnknownModernMethod,
    jsonrpc_error_response,
)
from authz_mcp.http.asgi import OWS, Receive, Scope, Send, send_empty, send_json
from authz_mcp.http.modern_checks import (
    Headers,
    check_version,
    header_map,
    param_header_mismatch,
    validated_envelope,
)
from authz_mcp.http.observe import note_access, trace_parent
from authz_mcp.http.streams import EventStream, keep_alive
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.protocol import LEGACY_VERSIONS, SESSION_HEADER, VERSION_HEADER, has_envelope
from authz_mcp.proxy.capsets import Capset, capset_of
from authz_mcp.proxy.catalog import Kind
from authz_mcp.proxy.context import Call
from authz_mcp.proxy.dispatch import MODERN_METHODS, classify
from authz_mcp.proxy.gateway import Gateway
from authz_mcp.proxy.principals import principal_session

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


async def serve_modern(
    gateway: Gateway, identity: Identity, scope: Scope, receive: Receive, send: Send, message: Any
) -> None:
    request_id = message.get("id") if isinstance(message, dict) else None
    try:
        call = await _call_for(gateway, identity, scope, message)
    except GatewayError as exc:
        if exc.http_status >= 500:
            raise  # the store is down: the endpoint answers 503
        response = jsonrpc_error_response(request_id, exc)
        await send_json(send, status_of(response), response)
        return
    if call is None:
        await send_empty(send, 202)
        return
    stream = EventStream(send)
    call.outbox = stream.send
    failure: GatewayError | None = None
    listening = call.method == "subscriptions/listen"
    try:
        with gateway.metrics.open_stream("listen") if listening else nullcontext():
            async with anyio.create_task_group() as group:
                group.start_soon(_cancel_on_disconnect, receive, group.cancel_scope)
                if listening:
                    group.start_soon(keep_alive, stream)
                try:
                    await stream.run(gateway, call, status_of=status_of)
                except GatewayError as exc:
                    failure = exc  # raised below, outside the task group, for the endpoint to render
                group.cancel_scope.cancel()
    finally:
        await stream.close()
    if failure is not None:
        raise failure


async def _call_for(gateway: Gateway, identity: Identity, scope: Scope, message: Any) -> Call | None:
    """The validated call, or None for a notification (accepted and dropped)."""
    kind = classify(message)
    if kind == "response":
        # "The client MUST NOT send JSON-RPC responses."
        raise InvalidRequest("Responses are not accepted from 2026-07-28 clients")
    headers = header_map(scope)
    if kind == "notification":
        # The 2026-07-28 core defines no client notifications over HTTP (cancellation is
        # closing the stream): a posted one is accepted and dropped, as the SDK does; one
        # naming a version not served is told so, as a request would be.
        check_version((headers.get(VERSION_HEADER.decode()) or [""])[0])
        return None
    method: str = message["method"]
    params: JSONObject = message.get("params") or {}
    if method == "initialize":
        # 2026-07-28 removed `initialize`: "404 Not Found and a JSON-RPC error with code
        # -32601", whatever else the handshake-era request lacks (it has no `_meta`).
        raise UnknownModernMethod(f"Method not found: {method}")
    envelope = validated_envelope(headers, message, params)
    if method not in MODERN_METHODS:
        raise UnknownModernMethod(f"Method not found: {method}")
    record = await principal_session(gateway, identity)
    if method == "tools/call":
        await _check_param_headers(gateway, identity, capset_of(envelope.capabilities), headers, params)
    note_access(scope, identity, method)
    call = Call(identity, record, _nowhere, message["id"], method, params, envelope=envelope)
    call.trace_parent = trace_parent(scope)
    return call


async def _check_param_headers(
    gateway: Gateway, identity: Identity, capset: Capset, headers: Headers, params: JSONObject
) -> None:
    """`Mcp-Param-*` headers against a tool the user may call (a hidden tool is checked
    like a missing one: not at all, so the answer is the same unknown-tool error)."""
    name = params.get("name")
    arguments = params.get("arguments") or {}
    if not isinstance(name, str) or not isinstance(arguments, dict):
        return
    entry, decision = (await gateway.view_for(identity, capset)).lookup(Kind.TOOLS, name)
    if entry is None or decision is None or not decision.allowed:
        return
    mismatch = param_header_mismatch(entry.item.get("inputSchema"), arguments, headers)
    if mismatch is not None:
        raise mismatch


async def _nowhere(message: JSONObject) -> bool:
    return False


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()

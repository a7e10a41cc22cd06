"""The proxy's entry: one call per client message, after http/ has authenticated it.

http/ turns bytes into (identity, session id, message) and the reply back into bytes; from
the rate limit to the JSON-RPC response, everything in between happens here, in the order
DESIGN §1 gives: admit -> validate the JSON-RPC message -> resolve the user's session ->
serve the request, notification or response. A `GatewayError` raised here is the answer
to the whole HTTP request (its status); anything else is in the returned `Reply`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry.context import Context

from authz_mcp.auth.identity import Identity
from authz_mcp.errors import InvalidRequest, SessionRequired, UnsupportedProtocolVersion
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.protocol import LEGACY_VERSIONS
from authz_mcp.proxy.context import Call
from authz_mcp.proxy.dispatch import classify, dispatch, handle_notification
from authz_mcp.proxy.gateway import Gateway
from authz_mcp.proxy.relay import Outbox
from authz_mcp.sessions import SessionRecord


@dataclass(frozen=True)
class Reply:
    message: JSONObject | None
    """The JSON-RPC response to send; None when the message was accepted with nothing to
    answer (a notification, or the client's response to a server->client request)."""
    session_id: str | None
    """The session the reply belongs to: the client's, or the one `initialize` created."""


async def handle_legacy(
    gateway: Gateway,
    identity: Identity,
    session_id: str | None,
    message: Any,
    outbox: Outbox,
    *,
    protocol_version: str | None = None,
    trace_parent: Context | None = None,
    on_accepted: Callable[[str], None] | None = None,
) -> Reply:
    """Serve one message of a Streamable HTTP (2025-11-25) session.

    `session_id` and `protocol_version` are the request's headers, as sent; `outbox`
    carries what goes to the client before the response (progress, logs, server->client
    requests); `on_accepted` hears the method once the session is resolved.
    """
    method = message.get("method") if isinstance(message, dict) else None
    await gateway.admit(identity, session_id, str(method or "response"))
    kind = classify(message)
    session: SessionRecord | None = None
    if kind == "request" and message["method"] == "initialize":
        if session_id:
            raise InvalidRequest("initialize must not carry a session")
    else:
        session = await legacy_session(gateway, identity, session_id, protocol_version)
    if kind == "response":
        assert session is not None
        gateway.pending.resolve(session.session_id, message)
        return Reply(None, session.session_id)
    call = Call(
        identity, session, outbox, message.get("id", ""), message["method"], message.get("params") or {}
    )
    call.trace_parent = trace_parent
    if on_accepted is not None:
        on_accepted(call.method)
    if kind == "notification":
        await handle_notification(gateway, call)
        return Reply(None, session.session_id if session is not None else None)
    response = await dispatch(gateway, call)
    return Reply(response, call.session.session_id if call.session is not None else None)


async def legacy_session(
    gateway: Gateway, identity: Identity, session_id: str | None, protocol_version: str | None
) -> SessionRecord:
    """The identity's session named by the request's headers (404 for anyone else's)."""
    if not session_id:
        raise SessionRequired()
    record = await gateway.resolve_session(session_id, identity)
    # basic/transports: an invalid or unsupported MCP-Protocol-Version MUST get 400.
    if protocol_version is not None and protocol_version not in LEGACY_VERSIONS:
        raise UnsupportedProtocolVersion()
    return record

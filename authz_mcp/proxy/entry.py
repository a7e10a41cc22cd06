"""The proxy's entry: one call per client message, after http/ has authenticated it.

http/ turns bytes into (identity, session id, message) and the reply back into bytes; from
the rate limit to the JSON-RPC response, everything in between happens here, in the order
DESIGN §1 gives: admit -> validate the JSON-RPC message -> resolve the user's session ->
serve the request, notification or response. A `GatewayError` raised here is the answer
to the whole HTTP request (its status); anything else is in the returned `Reply`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry.context import Context

from authz_mcp.auth.identity import Identity
from authz_mcp.errors import (
    GatewayError,
    InvalidRequest,
    SessionRequired,
    UnknownModernMethod,
    UnsupportedProtocolVersion,
    jsonrpc_error_response,
)
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.protocol import (
    LEGACY_VERSIONS,
    VERSION_HEADER,
    Notification,
    Request,
    Response,
    parse_incoming,
)
from authz_mcp.proxy.admission import Admission
from authz_mcp.proxy.capsets import Capset, capset_of
from authz_mcp.proxy.catalog import Kind
from authz_mcp.proxy.context import Call
from authz_mcp.proxy.dispatch import Dispatcher
from authz_mcp.proxy.modern_checks import Headers, check_version, param_header_mismatch, validated_envelope
from authz_mcp.proxy.principals import principal_session
from authz_mcp.proxy.relay import Outbox, PendingClientRequests
from authz_mcp.proxy.view import ViewFor
from authz_mcp.sessions import SessionRecord, SessionStore

ResolveSession = Callable[[str, Identity], Awaitable[SessionRecord]]
"""The identity's session by its id; `SessionNotFound` for anyone else's (`Gateway.resolve_session`)."""


@dataclass(frozen=True)
class Reply:
    message: JSONObject | None
    """The JSON-RPC response to send; None when the message was accepted with nothing to
    answer (a notification, or the client's response to a server->client request)."""
    session_id: str | None
    """The session the reply belongs to: the client's, or the one `initialize` created."""


class Entry:
    """Where each Streamable HTTP message enters the proxy, given what serving it takes:
    the rate limit (`admission`), the session (`resolve_session`, `store` for a principal's
    record), the views `Mcp-Param-*` headers are checked against, the pending server->client
    requests a response answers, and the `dispatcher` that serves the request."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        admission: Admission,
        resolve_session: ResolveSession,
        pending: PendingClientRequests,
        store: SessionStore,
        views: ViewFor,
    ) -> None:
        self._dispatcher = dispatcher
        self._admission = admission
        self._resolve_session = resolve_session
        self._pending = pending
        self._store = store
        self._views = views

    async def handle_legacy(
        self,
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
        await self._admission.admit(identity, session_id, str(method or "response"))
        incoming = parse_incoming(message)
        session: SessionRecord | None = None
        if isinstance(incoming, Request) and incoming.method == "initialize":
            if session_id:
                raise InvalidRequest("initialize must not carry a session")
        else:
            session = await self.legacy_session(identity, session_id, protocol_version)
        if isinstance(incoming, Response):
            assert session is not None
            self._pending.resolve(session.session_id, incoming.message)
            return Reply(None, session.session_id)
        request_id = incoming.id if isinstance(incoming, Request) else ""
        call = Call(identity, session, outbox, request_id, incoming.method, incoming.params)
        call.trace_parent = trace_parent
        if on_accepted is not None:
            on_accepted(call.method)
        if isinstance(incoming, Notification):
            await self._dispatcher.handle_notification(call)
            return Reply(None, session.session_id if session is not None else None)
        response = await self._dispatcher.dispatch(call)
        return Reply(response, call.session.session_id if call.session is not None else None)

    async def legacy_session(
        self, identity: Identity, session_id: str | None, protocol_version: str | None
    ) -> SessionRecord:
        """The identity's session named by the request's headers (404 for anyone else's)."""
        if not session_id:
            raise SessionRequired()
        record = await self._resolve_session(session_id, identity)
        # basic/transports: an invalid or unsupported MCP-Protocol-Version MUST get 400.
        if protocol_version is not None and protocol_version not in LEGACY_VERSIONS:
            raise UnsupportedProtocolVersion()
        return record

    async def handle_modern(
        self,
        identity: Identity,
        message: Any,
        outbox: Outbox,
        *,
        headers: Headers,
        trace_parent: Context | None = None,
        on_accepted: Callable[[str], None] | None = None,
    ) -> Reply:
        """Serve one 2026-07-28 request: no session, everything per request.

        `headers` are the request's, checked against the body before anything is routed
        (2026-07-28 transports "Server Validation": "Servers that process the request body MUST
        reject requests where the values specified in the headers do not match the
        corresponding values in the request body"); authorization then reads only the body.
        A message refused before it is served is answered with its JSON-RPC error.
        """
        method = message.get("method") if isinstance(message, dict) else None
        await self._admission.admit(identity, None, str(method or "response"))
        try:
            call = await self._modern_call(identity, message, outbox, headers)
        except GatewayError as exc:
            if exc.http_status >= 500:
                raise  # the store is down: the whole request answers 503
            request_id = message.get("id") if isinstance(message, dict) else None
            return Reply(jsonrpc_error_response(request_id, exc), None)
        if call is None:
            return Reply(None, None)
        if on_accepted is not None:
            on_accepted(call.method)
        call.trace_parent = trace_parent
        return Reply(await self._dispatcher.dispatch(call), None)

    async def _modern_call(
        self, identity: Identity, message: Any, outbox: Outbox, headers: Headers
    ) -> Call | None:
        """The validated call, or None for a notification (accepted and dropped)."""
        incoming = parse_incoming(message)
        if isinstance(incoming, Response):
            # "The client MUST NOT send JSON-RPC responses."
            raise InvalidRequest("Responses are not accepted from 2026-07-28 clients")
        if isinstance(incoming, Notification):
            # The 2026-07-28 core defines no client notifications over HTTP (cancellation is
            # closing the stream): a posted one is accepted and dropped, as the SDK does; one
            # naming a version not served is told so, as a request would be.
            check_version((headers.get(VERSION_HEADER.decode()) or [""])[0])
            return None
        method, params = incoming.method, incoming.params
        if method == "initialize":
            # 2026-07-28 removed `initialize`: "404 Not Found and a JSON-RPC error with code
            # -32601", whatever else the handshake-era request lacks (it has no `_meta`).
            raise UnknownModernMethod(f"Method not found: {method}")
        envelope = validated_envelope(headers, method, params)
        if not self._dispatcher.serves_modern(method):
            raise UnknownModernMethod(f"Method not found: {method}")
        record = await principal_session(self._store, identity)
        if method == "tools/call":
            await self._check_param_headers(identity, capset_of(envelope.capabilities), headers, params)
        return Call(identity, record, outbox, incoming.id, method, params, envelope=envelope)

    async def _check_param_headers(
        self, identity: Identity, capset: Capset, headers: Headers, params: JSONObject
    ) -> None:
        """`Mcp-Param-*` headers against a tool the user may call (a hidden tool is checked
        like a missing one: not at all, so the answer is the same unknown-tool error)."""
        name = params.get("name")
        arguments = params.get("arguments") or {}
        if not isinstance(name, str) or not isinstance(arguments, dict):
            return
        entry, decision = (await self._views(identity, capset)).lookup(Kind.TOOLS, name)
        if entry is None or decision is None or not decision.allowed:
            return
        mismatch = param_header_mismatch(entry.item.get("inputSchema"), arguments, headers)
        if mismatch is not None:
            raise mismatch

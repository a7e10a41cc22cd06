"""One client request as the proxy sees it, after authentication."""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry.context import Context

from authz_mcp.auth.identity import Identity
from authz_mcp.jsonrpc import JSONObject, RequestId
from authz_mcp.proxy.capsets import Capset, capset_of
from authz_mcp.proxy.envelope import Envelope
from authz_mcp.proxy.relay import Outbox
from authz_mcp.sessions import SessionRecord


@dataclass
class Call:
    identity: Identity
    session: SessionRecord | None
    """The client's session; None only for `initialize`. A modern call carries the
    principal's record (`principal_session_id`): the modern form of the user's session."""
    outbox: Outbox
    request_id: RequestId
    method: str
    params: JSONObject
    envelope: Envelope | None = None
    """Set for a 2026-07-28 request: the client's version and capabilities, per request."""
    versions: tuple[str, ...] | None = None
    """The legacy versions `initialize` may agree to on this transport (None: Streamable HTTP's)."""
    trace_parent: Context | None = None
    """The W3C trace context the client sent, if any."""
    upstream: str | None = None
    """What the authorization step found, for metrics and the request's span."""
    decision: str | None = None
    upstream_seconds: float = 0.0
    """Time spent waiting on upstreams, so the gateway's own share can be measured."""

    @property
    def session_key(self) -> str:
        return self.session.session_id if self.session is not None else self.identity.key

    @property
    def modern(self) -> bool:
        return self.envelope is not None

    @property
    def client_capabilities(self) -> JSONObject:
        if self.envelope is not None:
            return self.envelope.capabilities
        return self.session.client_capabilities if self.session is not None else {}

    @property
    def capset(self) -> Capset:
        """Which catalog this client is shown: the one for what it declared (capsets.py)."""
        return capset_of(self.client_capabilities)

    @property
    def log_level(self) -> str | None:
        """The level log messages are wanted at: the request's opt-in (modern; None: no log
        messages), or the session's `logging/setLevel` (legacy, where every level is sent
        until the client sets one)."""
        if self.envelope is not None:
            return self.envelope.log_level
        return (self.session.log_level if self.session is not None else None) or "debug"

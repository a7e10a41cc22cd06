"""One client request as the proxy sees it, after authentication."""

from __future__ import annotations

from dataclasses import dataclass

from authz_mcp.auth.identity import Identity
from authz_mcp.jsonrpc import JSONObject, RequestId
from authz_mcp.proxy.relay import Outbox
from authz_mcp.sessions import SessionRecord


@dataclass
class Call:
    identity: Identity
    session: SessionRecord | None
    """The client's session; None only for `initialize` (and, later, sessionless eras)."""
    outbox: Outbox
    request_id: RequestId
    method: str
    params: JSONObject

    @property
    def session_key(self) -> str:
        return self.session.session_id if self.session is not None else self.identity.key

    @property
    def client_capabilities(self) -> JSONObject:
        return self.session.client_capabilities if self.session is not None else {}

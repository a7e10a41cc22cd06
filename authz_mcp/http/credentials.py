"""Authentication of one HTTP request or WebSocket frame, for every transport endpoint.

A refusal is logged and counted here, where the client's address is known (auth/refusals.py).
"""

from __future__ import annotations

from authz_mcp.auth.authenticator import Authenticator
from authz_mcp.auth.identity import Identity
from authz_mcp.errors import CredentialsRefused, InvalidToken
from authz_mcp.http.asgi import Scope, client_address, header


async def authenticate(authenticator: Authenticator, scope: Scope) -> Identity:
    try:
        # RFC 6750 §2.3 allows URI-query tokens; the MCP authorization spec forbids them.
        if b"access_token=" in scope.get("query_string", b""):
            raise InvalidToken("access token in the query string")
        return await authenticator.authenticate(header(scope, b"authorization"))
    except CredentialsRefused as exc:
        authenticator.refusals.record(exc, client_address(scope))
        raise

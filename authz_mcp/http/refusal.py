"""How every MCP transport endpoint refuses a request at the HTTP level."""

from __future__ import annotations

from authz_mcp.auth.challenge import www_authenticate
from authz_mcp.errors import AuthenticationError, GatewayError, InsufficientScope
from authz_mcp.http.asgi import Send, send_error


async def send_refusal(
    send: Send, exc: GatewayError, resource_metadata_url: str, scopes: tuple[str, ...], allow: str
) -> None:
    """The error as an HTTP response; an authentication failure carries the Bearer challenge."""
    if isinstance(exc, AuthenticationError | InsufficientScope):
        # RFC 6750 §3.1: insufficient_scope is a 403 that names the scopes it needs.
        challenge = www_authenticate(exc, resource_metadata_url, scopes)
        await send_error(send, exc, {"WWW-Authenticate": challenge})
    else:
        await send_error(send, exc, {"Allow": allow} if exc.http_status == 405 else None)

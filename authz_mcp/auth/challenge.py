"""The `WWW-Authenticate` challenge of a 401 or 403 (RFC 6750 §3, RFC 9728 §5.1)."""

from __future__ import annotations

from authz_mcp.config.model import Config
from authz_mcp.errors import AuthenticationError, InsufficientScope

PROTECTED_RESOURCE_PATH = "/.well-known/oauth-protected-resource/mcp"


def resource_metadata_url(config: Config) -> str:
    """Where this resource's RFC 9728 metadata lives (path form for the `/mcp` resource)."""
    return f"{config.server.base_url}{PROTECTED_RESOURCE_PATH}"


def www_authenticate(
    error: AuthenticationError | InsufficientScope,
    resource_metadata_url: str,
    scopes: tuple[str, ...] = (),
) -> str:
    # RFC 6750 §3: "If the protected resource request does not include authentication
    # credentials or does not contain an access token that enables access to the protected
    # resource, the resource server MUST include the HTTP "WWW-Authenticate" response header
    # field". RFC 9728 §5.1 adds `resource_metadata` so that clients can find the AS.
    params = [("resource_metadata", resource_metadata_url)]
    if isinstance(error, InsufficientScope):
        params.append(("error", "insufficient_scope"))
        if scopes:
            params.append(("scope", " ".join(scopes)))
    elif error.token_given:
        # RFC 6750 §3.1: without any authentication information the server "SHOULD NOT include
        # an error code"; with a token that failed, it says why in `error`.
        params.append(("error", "invalid_token"))
    return "Bearer " + ", ".join(f"{name}={_quoted(value)}" for name, value in params)


def _quoted(value: str) -> str:
    """An RFC 9110 §5.6.4 quoted-string."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'

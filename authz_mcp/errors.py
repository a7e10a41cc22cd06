"""Every exception the package raises, rooted in `AuthzMcpError` (DESIGN §7).

`GatewayError` and its subclasses are what a client can see. Each fixes the HTTP status,
the JSON-RPC code and the public message; the instance may add a public detail. Internal
details belong in the log, never in `public_message`. Rendering lives in two functions:
`http_body` (plain HTTP errors) and `jsonrpc_error` (JSON-RPC error objects).
"""

from __future__ import annotations

from typing import Any, ClassVar

from authz_mcp.jsonrpc import JSONObject

# JSON-RPC 2.0 codes and the MCP-reserved ones used here.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
# Implementation-defined server error range (-32000..-32099).
SERVER_UNAVAILABLE = -32001
REQUEST_CANCELLED = -32800
RESOURCE_NOT_FOUND = -32002
RATE_LIMITED = -32029
# Reserved for the MCP specification (2026-07-28 basic/index "Error Codes").
HEADER_MISMATCH = -32020
MISSING_REQUIRED_CLIENT_CAPABILITY = -32021
UNSUPPORTED_PROTOCOL_VERSION = -32022


class AuthzMcpError(Exception):
    """Root of every exception the package raises."""


class GatewayError(AuthzMcpError):
    """Base of every error the gateway renders to a client."""

    http_status: ClassVar[int] = 500
    jsonrpc_code: ClassVar[int] = INTERNAL_ERROR
    oauth_error: ClassVar[str | None] = None
    public_message: ClassVar[str] = "Internal error"

    def __init__(self, detail: str | None = None, *, data: Any = None) -> None:
        super().__init__(detail or self.public_message)
        self.detail = detail
        self.data = data

    @property
    def message(self) -> str:
        return self.detail or self.public_message

    def headers(self) -> dict[str, str]:
        return {}


# --- transport-level (HTTP) -------------------------------------------------


class ForbiddenOrigin(GatewayError):
    http_status = 403
    jsonrpc_code = INVALID_REQUEST
    public_message = "Forbidden origin or host"


class BodyTooLarge(GatewayError):
    http_status = 413
    jsonrpc_code = INVALID_REQUEST
    public_message = "Request body too large"


class NotAcceptable(GatewayError):
    http_status = 406
    jsonrpc_code = INVALID_REQUEST
    public_message = "Client must accept application/json and text/event-stream"


class UnsupportedMediaType(GatewayError):
    http_status = 415
    jsonrpc_code = INVALID_REQUEST
    public_message = "Content-Type must be application/json"


class MethodNotAllowed(GatewayError):
    http_status = 405
    jsonrpc_code = INVALID_REQUEST
    public_message = "Method not allowed"


class SessionNotFound(GatewayError):
    """Unknown, expired, or another user's session: the three are indistinguishable."""

    http_status = 404
    jsonrpc_code = INVALID_REQUEST
    public_message = "Session not found"


class SessionRequired(GatewayError):
    http_status = 400
    jsonrpc_code = INVALID_REQUEST
    public_message = "Mcp-Session-Id header is required"


class UnsupportedProtocolVersion(GatewayError):
    http_status = 400
    jsonrpc_code = INVALID_REQUEST
    public_message = "Unsupported MCP-Protocol-Version"


class HeaderMismatch(GatewayError):
    """2026-07-28: an MCP header is missing or disagrees with the body."""

    http_status = 400
    jsonrpc_code = HEADER_MISMATCH
    public_message = "Header mismatch"


class UnsupportedModernVersion(GatewayError):
    """2026-07-28: the request's protocol version is not served; `data` names the supported ones."""

    http_status = 400
    jsonrpc_code = UNSUPPORTED_PROTOCOL_VERSION
    public_message = "Unsupported protocol version"


class MissingRequestMeta(GatewayError):
    """2026-07-28: `params._meta` lacks the protocol version or the client capabilities."""

    http_status = 400
    jsonrpc_code = INVALID_PARAMS
    public_message = "params._meta must carry the protocol version and the client capabilities"


class MissingClientCapability(GatewayError):
    """2026-07-28: serving the request needs a client capability the request did not
    declare; `data.requiredCapabilities` names it. "For HTTP, the response status code
    MUST be 400 Bad Request"."""

    http_status = 400
    jsonrpc_code = MISSING_REQUIRED_CLIENT_CAPABILITY
    public_message = "Missing required client capability"


class UnknownModernMethod(GatewayError):
    """2026-07-28 transports: an unimplemented method "MUST" get 404 with -32601."""

    http_status = 404
    jsonrpc_code = METHOD_NOT_FOUND
    public_message = "Method not found"


class StoreUnavailable(GatewayError):
    http_status = 503
    jsonrpc_code = SERVER_UNAVAILABLE
    public_message = "Service temporarily unavailable"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "1"}


class RateLimited(GatewayError):
    """Over a rate limit: `retry_after` seconds until the next request may pass. A whole HTTP
    request refused is 429 with Retry-After (RFC 6585 §4); one call refused inside a reply is
    a JSON-RPC error whose data says when to retry."""

    http_status = 429
    jsonrpc_code = RATE_LIMITED
    public_message = "Rate limit exceeded"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Rate limit exceeded; retry after {retry_after} s", data={"retryAfter": retry_after}
        )
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


# --- authentication (RFC 6750) ------------------------------------------------


class CredentialsRefused(GatewayError):
    """A request's credentials were refused. The detail is the reason, and `context` what is
    known of the credential (issuer, kid, subject, token id): both for the log only."""

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail)
        self.context: dict[str, str] = {}

    @property
    def reason(self) -> str:
        return self.detail or self.public_message

    def add_context(self, **fields: object) -> None:
        """Fill in what is known of the credential; fields already set are kept."""
        for name, value in fields.items():
            if isinstance(value, str) and value and name not in self.context:
                self.context[name] = value


class AuthenticationError(CredentialsRefused):
    """401: missing or unusable credentials. `challenge` is filled in by the HTTP layer."""

    http_status = 401
    jsonrpc_code = INVALID_REQUEST
    public_message = "Authentication required"

    def __init__(self, detail: str | None = None, *, token_given: bool = False) -> None:
        super().__init__(detail)
        self.token_given = token_given

    @property
    def message(self) -> str:
        # RFC 6750 §3.1 asks only for error="invalid_token". Saying why (expired, revoked,
        # unknown key...) would tell whoever holds an old token whether it was ever real.
        return self.public_message


class MissingCredentials(AuthenticationError):
    """No credentials at all: how every OAuth client's first request looks."""

    def __init__(self) -> None:
        super().__init__("no credentials", token_given=False)


class InvalidToken(AuthenticationError):
    oauth_error = "invalid_token"
    public_message = "The access token is invalid"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, token_given=True)


class InsufficientScope(CredentialsRefused):
    http_status = 403
    jsonrpc_code = INVALID_REQUEST
    oauth_error = "insufficient_scope"
    public_message = "The access token lacks a required scope"


# --- JSON-RPC -----------------------------------------------------------------


class ParseError(GatewayError):
    http_status = 400
    jsonrpc_code = PARSE_ERROR
    public_message = "Parse error"


class InvalidRequest(GatewayError):
    http_status = 400
    jsonrpc_code = INVALID_REQUEST
    public_message = "Invalid request"


class MethodNotFound(GatewayError):
    http_status = 200
    jsonrpc_code = METHOD_NOT_FOUND
    public_message = "Method not found"


class InvalidParams(GatewayError):
    http_status = 200
    jsonrpc_code = INVALID_PARAMS
    public_message = "Invalid params"


class ResourceNotFound(GatewayError):
    """Also what a hidden resource answers, so hiding does not reveal existence."""

    http_status = 200
    jsonrpc_code = RESOURCE_NOT_FOUND
    public_message = "Resource not found"


class UpstreamUnavailable(GatewayError):
    http_status = 200
    jsonrpc_code = SERVER_UNAVAILABLE
    public_message = "Upstream server unavailable"


class UpstreamFailed(GatewayError):
    """The upstream broke the protocol or died mid-request."""

    http_status = 200
    jsonrpc_code = INTERNAL_ERROR
    public_message = "Upstream server error"


class LimitReached(GatewayError):
    """A per-user bound on what the gateway keeps for sessionless clients (streams, exchanges)."""

    http_status = 200
    jsonrpc_code = INTERNAL_ERROR
    public_message = "Too many open requests of this kind"


class UpstreamRejected(UpstreamFailed):
    """The upstream refused a request at the HTTP level, without a JSON-RPC error body."""


class RequestCancelled(GatewayError):
    http_status = 200
    jsonrpc_code = REQUEST_CANCELLED
    public_message = "Request cancelled"


class UpstreamTimeout(GatewayError):
    http_status = 200
    jsonrpc_code = INTERNAL_ERROR
    public_message = "Upstream request timed out"


# --- personal token REST API (authz_mcp/http/tokens_api.py) -----------------


class TokenApiError(GatewayError):
    """An error of the token API; `api_code` is its stable, documented code."""

    http_status = 400
    jsonrpc_code = INVALID_REQUEST
    api_code: ClassVar[str] = "invalid_request"
    public_message = "Invalid request"


class InvalidTokenRequest(TokenApiError):
    pass


class TokenNotFound(TokenApiError):
    """Unknown, or another user's token: the two are indistinguishable."""

    http_status = 404
    api_code = "not_found"
    public_message = "Token not found"


class TokenLimitReached(TokenApiError):
    http_status = 409
    api_code = "too_many_tokens"
    public_message = "Too many active personal tokens"


class AdminRequired(TokenApiError):
    http_status = 403
    api_code = "forbidden"
    public_message = "Only token administrators may do this"


class PersonalTokenNotAccepted(TokenApiError):
    """A personal token cannot manage tokens: a leaked one must not mint more."""

    http_status = 403
    api_code = "personal_token_not_allowed"
    public_message = "Use a token from your identity provider to manage personal tokens"


# --- from upstreams (relayed or handled, never rendered as a GatewayError) --------


class UpstreamRpcError(AuthzMcpError):
    """The upstream answered with a JSON-RPC error; relayed to the client as is."""

    def __init__(self, error: JSONObject) -> None:
        super().__init__(str(error.get("message", "upstream error")))
        self.error = error


class UpstreamSessionExpired(AuthzMcpError):
    """The upstream no longer knows the session handle (HTTP 404): open a new one."""


class SSEError(AuthzMcpError):
    """An upstream's event stream broke the format or a size limit."""


# --- configuration and policy (never shown to MCP clients) --------------------


class ConfigError(AuthzMcpError):
    """A user error in the config file, model or policy; one line, names the place."""


class CatalogCollision(ConfigError):
    """Two upstreams expose a tool or prompt under the same name (`noun`: "tool", "prompt")."""

    def __init__(self, noun: str, exposed: str, first: str, second: str) -> None:
        super().__init__(
            f"{noun} name {exposed!r} is exposed by both upstream {first!r} "
            f"and upstream {second!r}; set a distinct prefix for one of them"
        )
        self.first = first
        self.second = second


def jsonrpc_error(error: GatewayError) -> dict[str, Any]:
    """The `error` member of a JSON-RPC response."""
    body: dict[str, Any] = {"code": error.jsonrpc_code, "message": error.message}
    if error.data is not None:
        body["data"] = error.data
    return body


def jsonrpc_error_response(request_id: Any, error: GatewayError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": jsonrpc_error(error)}


def http_body(error: GatewayError) -> dict[str, Any]:
    """Body for an HTTP-level error: a JSON-RPC error object with a null id,
    plus the OAuth error code where there is one."""
    body = jsonrpc_error_response(None, error)
    if error.oauth_error is not None:
        body["error"]["data"] = {"oauth_error": error.oauth_error}
    return body


_API_CODES_BY_STATUS = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    500: "internal_error",
    503: "unavailable",
}


def api_error_body(error: GatewayError) -> dict[str, Any]:
    """Body for an error of the REST API: `{"error": {"code", "message"}}` with a stable code."""
    if isinstance(error, TokenApiError):
        code = error.api_code
    else:
        code = error.oauth_error or _API_CODES_BY_STATUS.get(error.http_status, "invalid_request")
    return {"error": {"code": code, "message": error.message}}

"""An upstream's "no such item" answer, replaced by the gateway's own (DESIGN §2).

The gateway answers a hidden tool, prompt or resource exactly as a missing one. An item the
policy allows but the upstream does not have (a URI under a permitted template, a tool gone
since the catalog was fetched) reaches the upstream, whose own answer differs in code, message
or data from one server to the next (-32602 or -32002, "Resource not found" or "Unknown
resource: ..."). Relayed as is, it would let a client tell the permitted regions of the
namespace from the denied ones. So it is replaced by the very error the gateway gives for a
hidden item, and the audit log keeps what the upstream said.
"""

from __future__ import annotations

import time

from authz_mcp.errors import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    RESOURCE_NOT_FOUND,
    GatewayError,
    UpstreamRpcError,
)
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.observability.audit import AuditLog
from authz_mcp.proxy.bridge import Bridge
from authz_mcp.proxy.context import Call

_RESOURCE_NOT_FOUND_CODES = frozenset({INVALID_PARAMS, RESOURCE_NOT_FOUND})
_NOT_FOUND_CODES = frozenset({INVALID_PARAMS, RESOURCE_NOT_FOUND, METHOD_NOT_FOUND, INTERNAL_ERROR})
_NOT_FOUND_WORDS = ("unknown", "not found", "no such", "does not exist", "doesn't exist")


def means_missing(error: JSONObject, kind: str) -> bool:
    """Whether an upstream's error says the `kind` ("tool", "prompt", "resource") requested
    does not exist.

    For a resource every invalid-params or not-found error counts: the URI is the request's
    only parameter. A tool's or prompt's invalid-params error may be about its arguments,
    which a user allowed to use it may see; only one that says the tool or prompt is
    unknown counts.
    """
    code = error.get("code")
    if isinstance(code, bool) or not isinstance(code, int):
        return False
    if kind == "resource" and code in _RESOURCE_NOT_FOUND_CODES:
        return True
    message = error.get("message")
    if code not in _NOT_FOUND_CODES or not isinstance(message, str):
        return False
    text = message.lower()
    return kind in text and any(word in text for word in _NOT_FOUND_WORDS)


async def forward_item(
    bridge: Bridge,
    audit: AuditLog,
    call: Call,
    upstream: str,
    params: JSONObject,
    *,
    kind: str,
    item: str,
    not_found: GatewayError,
) -> JSONObject:
    """`call` forwarded to `upstream`, an upstream not-found error answered with `not_found`."""
    started = time.perf_counter()
    try:
        return await bridge.forward(call, upstream, call.method, params)
    except UpstreamRpcError as exc:
        if not means_missing(exc.error, kind):
            raise
        audit.record(
            identity=call.identity,
            session=call.session_key,
            method=call.method,
            upstream=upstream,
            item=item,
            allowed=False,
            reason=f"not found upstream (error {exc.error.get('code')})",
            started=started,
        )
        raise not_found from None

"""Results and errors in the shape of the client's era, whatever era the upstream spoke.

2026-07-28 basic/index: "The `result` MUST include a `resultType` field", and the
cacheable results (lists, reads, discover) carry `ttlMs` and `cacheScope`. What
the gateway returns depends on who asks (DESIGN §2: "Filtered list results vary
per user: in the modern era mark them `cacheScope: "private"`"), so every
cacheable result is private: a shared cache must never serve one user's answer
to another. Handshake-era clients get none of these fields.
"""

from __future__ import annotations

from mcp_types import SERVER_INFO_META_KEY

from authz_mcp.errors import INVALID_PARAMS, RESOURCE_NOT_FOUND
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.upstream.era import GATEWAY_INFO, without_reserved

CACHEABLE = frozenset(
    {
        "server/discover",
        "tools/list",
        "prompts/list",
        "resources/list",
        "resources/templates/list",
        "resources/read",
    }
)
INPUT_REQUIRED = "input_required"
MODERN_ONLY_FIELDS = ("resultType", "ttlMs", "cacheScope")
LIST_TTL_MS = 0
"""Lists are built from the user's permitted view, which a policy reload changes at once:
a revoked item must disappear on the next list, so clients are told not to reuse them."""


def is_input_required(result: JSONObject) -> bool:
    return result.get("resultType") == INPUT_REQUIRED


def for_modern(method: str, result: JSONObject) -> JSONObject:
    shaped = _with_own_meta(result, {SERVER_INFO_META_KEY: GATEWAY_INFO})
    shaped.setdefault("resultType", "complete")
    if method in CACHEABLE and not is_input_required(shaped):
        ttl = shaped.get("ttlMs")
        fresh = method == "resources/read" and isinstance(ttl, int) and not isinstance(ttl, bool) and ttl >= 0
        shaped["ttlMs"] = ttl if fresh else LIST_TTL_MS
        shaped["cacheScope"] = "private"
    return shaped


def for_legacy(result: JSONObject) -> JSONObject:
    if not any(field in result for field in MODERN_ONLY_FIELDS) and "_meta" not in result:
        return result
    trimmed = {key: value for key, value in result.items() if key not in MODERN_ONLY_FIELDS}
    return _with_own_meta(trimmed, {})


def modern_error(error: JSONObject) -> JSONObject:
    """2026-07-28 basic/index: implementations "MUST NOT emit" -32002 (resource not found),
    "replaced by -32602"; the gateway's own not-found and an older upstream's both move."""
    if error.get("code") == RESOURCE_NOT_FOUND:
        return {**error, "code": INVALID_PARAMS}
    return error


def _with_own_meta(result: JSONObject, stamp: JSONObject) -> JSONObject:
    """`result` with the upstream's protocol-reserved `_meta` keys replaced by `stamp`:
    the client talks to the gateway, not to whichever server answered behind it."""
    kept = without_reserved(result.get("_meta"))
    shaped = {key: value for key, value in result.items() if key != "_meta"}
    if kept or stamp:
        shaped["_meta"] = {**kept, **stamp}
    return shaped

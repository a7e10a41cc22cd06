"""Requests to a modern (2026-07-28) upstream, on either transport.

The proxy speaks one vocabulary to every upstream; this module maps the parts
that changed: the `_meta` envelope every request carries, `resources/subscribe`
(gone at 2026-07-28) onto the gateway's `subscriptions/listen` filter, the
handshake-era `ping` and `logging/setLevel` onto nothing, and the
`x-mcp-header` parameters a Streamable HTTP client must mirror into headers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from mcp.shared.inbound import (
    MCP_METHOD_HEADER,
    MCP_NAME_HEADER,
    NAME_BEARING_METHODS,
    encode_header_value,
    find_invalid_x_mcp_header,
    mcp_param_headers,
    x_mcp_header_map,
)

from authz_mcp.errors import InvalidParams
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.protocol import MODERN_VERSION, has_envelope
from authz_mcp.upstream.era import stamped
from authz_mcp.upstream.listen import SubscriptionStream

logger = logging.getLogger(__name__)

Send = Callable[[JSONObject | None], Awaitable[JSONObject]]

# Removed at 2026-07-28: a modern client opts in to log messages per request instead
# (`io.modelcontextprotocol/logLevel`), and liveness is the transport's concern.
_ANSWERED_HERE = frozenset({"ping", "logging/setLevel"})


async def modern_request(
    subscriptions: SubscriptionStream,
    headers: ParamHeaders | None,
    method: str,
    params: JSONObject | None,
    send: Send,
) -> JSONObject:
    if method in ("resources/subscribe", "resources/unsubscribe"):
        uri = (params or {}).get("uri")
        if not isinstance(uri, str):
            raise InvalidParams("uri must be a string")
        if method == "resources/subscribe":
            return await subscriptions.subscribe(uri)
        return await subscriptions.unsubscribe(uri)
    if method in _ANSWERED_HERE:
        return {}
    if not has_envelope(params):
        params = stamped(params, {})
    result = await send(params)
    if headers is not None and method == "tools/list":
        headers.learn(result)
    return result


def modern_headers(method: str, message: JSONObject) -> dict[str, str]:
    """2026-07-28 transports "Request Metadata": "Every POST request to the MCP endpoint MUST
    include an MCP-Protocol-Version header", and `Mcp-Method` (all requests) and `Mcp-Name`
    (tools/call, resources/read, prompts/get) "are REQUIRED for compliance"."""
    headers = {"MCP-Protocol-Version": MODERN_VERSION, MCP_METHOD_HEADER: method}
    params = message.get("params")
    name_key = NAME_BEARING_METHODS.get(method)
    if name_key is not None and isinstance(params, dict) and isinstance(params.get(name_key), str):
        headers[MCP_NAME_HEADER] = encode_header_value(params[name_key])
    return headers


class ParamHeaders:
    """The `Mcp-Param-*` headers of each tool, learned from the upstream's `tools/list`.

    2026-07-28 transports "Custom Headers from Tool Parameters": "When a server's tool
    definition includes x-mcp-header annotations, conforming clients MUST mirror the
    designated parameter values into HTTP headers."
    """

    def __init__(self) -> None:
        self._maps: dict[str, dict[tuple[str, ...], str]] = {}

    def learn(self, result: JSONObject) -> None:
        tools = result.get("tools")
        for tool in tools if isinstance(tools, list) else ():
            if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
                continue
            schema: Any = tool.get("inputSchema")
            reason = find_invalid_x_mcp_header(schema)
            if reason is not None:
                logger.warning("tool %r declares an invalid x-mcp-header: %s", tool["name"], reason)
                continue
            mapping = x_mcp_header_map(schema)
            if mapping:
                self._maps[tool["name"]] = mapping
            else:
                self._maps.pop(tool["name"], None)

    def for_message(self, message: JSONObject) -> dict[str, str]:
        params = message.get("params")
        if message.get("method") != "tools/call" or not isinstance(params, dict):
            return {}
        mapping = self._maps.get(params.get("name"))  # type: ignore[arg-type]
        arguments = params.get("arguments")
        if not mapping or not isinstance(arguments, dict):
            return {}
        return mcp_param_headers(mapping, arguments)

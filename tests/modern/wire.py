"""Raw 2026-07-28 requests, for tests that need to see (or break) the wire."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.support.raw import ACCEPT, parse_sse

MODERN = "2026-07-28"
CAPABILITIES: dict[str, Any] = {"sampling": {}, "elicitation": {}}
NAME_KEYS = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}


def envelope(version: str = MODERN, capabilities: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": CAPABILITIES if capabilities is None else capabilities,
    }


def headers_for(token: str, method: str, params: dict[str, Any], version: str = MODERN) -> dict[str, str]:
    """The headers a conforming client sends with this request."""
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": ACCEPT,
        "Content-Type": "application/json",
        "MCP-Protocol-Version": version,
        "Mcp-Method": method,
    }
    if method in NAME_KEYS and isinstance(params.get(NAME_KEYS[method]), str):
        headers["Mcp-Name"] = params[NAME_KEYS[method]]
    return headers


async def post(
    http: httpx.AsyncClient,
    url: str,
    token: str,
    method: str,
    params: dict[str, Any] | None = None,
    *,
    request_id: int | str = 1,
    headers: dict[str, str | None] | None = None,
    with_meta: bool = True,
) -> tuple[int, dict[str, Any], httpx.Headers]:
    """POST one request; (HTTP status, the final JSON-RPC message, response headers).

    `headers` overrides the conforming ones (None removes one); `with_meta=False`
    leaves the envelope out of the body."""
    body_params = dict(params or {})
    if with_meta:
        body_params["_meta"] = {**envelope(), **body_params.get("_meta", {})}
    sent = headers_for(token, method, body_params)
    for name, value in (headers or {}).items():
        sent = {key: val for key, val in sent.items() if key.lower() != name.lower()}
        if value is not None:
            sent[name] = value
    body = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": body_params}
    response = await http.post(url, content=json.dumps(body), headers=sent)
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        return response.status_code, parse_sse(response.text)[-1], response.headers
    return response.status_code, response.json() if response.content else {}, response.headers

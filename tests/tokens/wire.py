"""Plain HTTP helpers for the gateway's MCP endpoint and token API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.raw import ACCEPT, INITIALIZE

TIMEOUT = 20.0


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def initialize(mcp_url: str, token: str) -> httpx.Response:
    """One `initialize` request: 200 when the token is accepted, 401/403 when not."""
    headers = {**bearer(token), "Accept": ACCEPT, "Content-Type": "application/json"}
    return httpx.post(mcp_url, json=INITIALIZE, headers=headers, timeout=TIMEOUT)


def api(method: str, url: str, token: str | None = None, body: Any = None, **options: Any) -> httpx.Response:
    headers = bearer(token) if token else {}
    headers.update(options.pop("headers", {}))
    return httpx.request(method, url, json=body, headers=headers, timeout=TIMEOUT, **options)


def error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])

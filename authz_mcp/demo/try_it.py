"""Connect to a gateway with the official MCP SDK and show what one token may do.

python -m authz_mcp.demo.try_it http://127.0.0.1:8080/mcp <token>
"""

from __future__ import annotations

import asyncio
import sys

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError


async def show(url: str, token: str) -> None:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
        Client(streamable_http_client(url, http_client=http), mode="legacy") as client,
    ):
        tools = await client.list_tools()
        print("tools:    ", ", ".join(tool.name for tool in tools.tools) or "(none)")
        resources = await client.list_resources()
        print("resources:", ", ".join(str(r.uri) for r in resources.resources) or "(none)")
        prompts = await client.list_prompts()
        print("prompts:  ", ", ".join(p.name for p in prompts.prompts) or "(none)")
        for name, arguments in (
            ("demo__echo", {"text": "hello"}),
            ("demo__delete_record", {"record_id": "42"}),
        ):
            try:
                result = await client.call_tool(name, arguments)
                print(
                    f"call {name}: {result.content[0].model_dump().get('text') if result.content else result}"
                )
            except MCPError as exc:
                print(f"call {name}: refused ({exc.error.code}: {exc.error.message})")


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    url, token = sys.argv[1], sys.argv[2]
    try:
        asyncio.run(show(url, token))
    except Exception as exc:  # the script's outermost boundary: one line, never a traceback
        print(f"try_it: {url}: {reason(exc)}", file=sys.stderr)
        return 1
    return 0


def reason(exc: BaseException) -> str:
    """The cause a person can act on, out of the SDK's nested exception groups."""
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    if isinstance(exc, MCPError):
        # A refused token surfaces as the gateway's 401 error message.
        return f"refused: {exc.error.message}"
    if isinstance(exc, httpx2.ConnectError):
        return "cannot connect (is the demo running on that port?)"
    return f"{type(exc).__name__}: {exc}"


if __name__ == "__main__":
    raise SystemExit(main())

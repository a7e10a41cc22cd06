"""Raw MCP Streamable HTTP (protocol 2025-11-25) over one shared httpx.AsyncClient.

The benchmark speaks the wire protocol itself rather than through the SDK, so that the client's
own overhead stays small and identical on both sides. Every reply is checked: an answer that is
not the one asked for counts as an error, as does any JSON-RPC error or unexpected status.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx

PROTOCOL_VERSION = "2025-11-25"
_ACCEPT = "application/json, text/event-stream"


class ReplyError(Exception):
    """A request that failed or whose reply did not verify."""


class TransportError(ReplyError):
    """No reply at all: the connection was refused, reset or timed out."""


class McpSession:
    """One MCP session: `open()`, then `echo()` and `list_tools()` as often as wanted."""

    def __init__(
        self, client: httpx.AsyncClient, url: str, *, index: int, echo_tool: str, token: str | None
    ) -> None:
        self._client = client
        self._url = url
        self._index = index
        self._echo_tool = echo_tool
        self._headers = {"Accept": _ACCEPT, "Content-Type": "application/json"}
        if token is not None:
            self._headers["Authorization"] = f"Bearer {token}"
        self._ids = itertools.count(1)
        self.session_id: str | None = None

    @property
    def url(self) -> str:
        return self._url

    def move_to(self, url: str) -> None:
        """Send the next requests, in the same session, to another replica."""
        self._url = url

    async def open(self) -> None:
        params = {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "authz-mcp-bench", "version": "0"},
        }
        response = await self._post({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params})
        result = _result(response, 0)
        if "serverInfo" not in result:
            raise ReplyError(f"initialize result without serverInfo: {result!r}")
        session_id = response.headers.get("mcp-session-id")
        if not session_id:
            raise ReplyError("initialize reply without Mcp-Session-Id")
        self.session_id = session_id
        self._headers["Mcp-Session-Id"] = session_id
        self._headers["MCP-Protocol-Version"] = PROTOCOL_VERSION
        notified = await self._post({"jsonrpc": "2.0", "method": "notifications/initialized"})
        if notified.status_code != 202:
            raise ReplyError(f"notifications/initialized answered HTTP {notified.status_code}")

    async def close(self) -> None:
        if self.session_id is not None:
            await self._client.delete(self._url, headers=self._headers)
            self.session_id = None

    async def echo(self) -> None:
        request_id = next(self._ids)
        text = f"s{self._index}-r{request_id}"
        params = {"name": self._echo_tool, "arguments": {"text": text}}
        result = await self._call(request_id, "tools/call", params)
        content = result.get("content")
        if result.get("isError") or not isinstance(content, list) or not content:
            raise ReplyError(f"tools/call {self._echo_tool} failed: {result!r:.300}")
        first = content[0]
        if not isinstance(first, dict) or text not in str(first.get("text", "")):
            raise ReplyError(f"echo of {text!r} answered {first!r:.300}")

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """Call `name`; its result, when the call succeeded."""
        result = await self._call(next(self._ids), "tools/call", {"name": name, "arguments": arguments})
        if result.get("isError"):
            raise ReplyError(f"tools/call {name} failed: {result!r:.300}")
        return result

    async def list_tools(self) -> list[str]:
        """The names of the first page of tools (every tool, when the server does not paginate)."""
        request_id = next(self._ids)
        tools = (await self._call(request_id, "tools/list", {})).get("tools")
        if not isinstance(tools, list):
            raise ReplyError(f"tools/list without a tools array: {tools!r:.300}")
        return [str(tool.get("name")) for tool in tools if isinstance(tool, dict)]

    async def _call(self, request_id: int, method: str, params: dict[str, Any]) -> dict[str, Any]:
        message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        return _result(await self._post(message), request_id)

    async def _post(self, message: dict[str, Any]) -> httpx.Response:
        try:
            return await self._client.post(self._url, content=json.dumps(message), headers=self._headers)
        except httpx.HTTPError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc


def _result(response: httpx.Response, request_id: int) -> dict[str, Any]:
    """The `result` of the reply to `request_id`, from a JSON or an SSE body."""
    if response.status_code != 200:
        raise ReplyError(f"HTTP {response.status_code}: {response.text[:300]}")
    content_type = response.headers.get("content-type", "")
    if content_type.startswith("text/event-stream"):
        messages = _sse_messages(response.text)
    elif content_type.startswith("application/json"):
        messages = [response.json()]
    else:
        raise ReplyError(f"unexpected content type {content_type!r}")
    for message in messages:
        if isinstance(message, dict) and message.get("id") == request_id:
            if "error" in message:
                raise ReplyError(f"JSON-RPC error: {message['error']!r:.300}")
            result = message.get("result")
            if not isinstance(result, dict):
                raise ReplyError(f"reply without a result object: {message!r:.300}")
            return result
    raise ReplyError(f"no reply with id {request_id} in {response.text[:300]!r}")


def _sse_messages(body: str) -> list[Any]:
    """The JSON `data` of each event of an SSE body (events split on blank lines)."""
    messages: list[Any] = []
    for event in body.replace("\r\n", "\n").split("\n\n"):
        data = [line[5:].removeprefix(" ") for line in event.split("\n") if line.startswith("data:")]
        if data:
            try:
                messages.append(json.loads("\n".join(data)))
            except json.JSONDecodeError as exc:
                raise ReplyError(f"SSE data is not JSON: {exc}") from exc
    return messages

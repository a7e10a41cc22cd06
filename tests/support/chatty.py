"""A "chatty" upstream: an MCP server (raw JSON-RPC, 2025-11-25) that talks while it is asked.

Like `@modelcontextprotocol/server-everything`, it sends notifications and server->client
requests at awkward moments, and waits for the answers before it goes on:

- during `initialize`: a `tools/list_changed` and a `roots/list` request, before its result;
- after `notifications/initialized`: three `tools/list_changed` and a `roots/list`;
- between the pages of a connection's first `tools/list` pass (one tool a page): list changes of every
  kind, a log message and a `roots/list` request, answered before the page is;
- while `echo` runs: progress, a log message, `ping`, `roots/list` and a list change.

Tools that need a client capability (`sample`, `elicit`, `list_roots`) are offered only to
a connection that declared it, and answer like an unknown tool elsewhere. One list can be
made to fail while a file exists (`--fail METHOD --fail-while PATH`), for the tests of a
failing list; `wait_failures` returns once it failed that many times. The transports
(stdio and Streamable HTTP) are in `chatty_wire.py`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

JSON = dict[str, Any]
Emit = Callable[[JSON], Awaitable[None]]

ANSWER_TIMEOUT = 10.0
CAPABILITY_TOOLS = {"sample": "sampling", "elicit": "elicitation", "list_roots": "roots"}
PLAIN_TOOLS = ("echo", "announce", "stats", "wait_passes", "wait_failures")
_ASKS: dict[str, tuple[str, JSON]] = {
    "sample": ("sampling/createMessage", {"messages": [], "maxTokens": 10}),
    "elicit": ("elicitation/create", {"message": "Go on?", "requestedSchema": {"type": "object"}}),
    "list_roots": ("roots/list", {}),
}


def tool(name: str) -> JSON:
    return {"name": name, "description": f"chatty {name}", "inputSchema": {"type": "object"}}


def text_result(value: object) -> JSON:
    return {"content": [{"type": "text", "text": json.dumps(value, sort_keys=True)}]}


class Failure(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.error = {"code": code, "message": message}


@dataclass
class Connection:
    """One client session (the stdio process, or one Mcp-Session-Id)."""

    capabilities: JSON = field(default_factory=dict)
    emit_outside: Emit | None = None
    """Where messages unrelated to a request go (stdout, or the session's GET stream)."""
    passes: int = 0
    """`tools/list` passes begun on this connection: only the first one is chatty."""

    def tools(self) -> list[str]:
        offered = [name for name, capability in CAPABILITY_TOOLS.items() if capability in self.capabilities]
        return [*PLAIN_TOOLS, *offered]


class Chatty:
    def __init__(self, fail_method: str | None = None, fail_while: Path | None = None) -> None:
        self._ids = itertools.count(1)
        self._asks: dict[str, tuple[anyio.Event, list[JSON]]] = {}
        self._fail_method = fail_method
        self._fail_while = fail_while
        self.passes_started = 0
        self.passes_done = 0
        self.failures = 0
        self._counted = anyio.Event()

    # --- the client's answers to our requests ---------------------------------------

    async def ask(self, emit: Emit, method: str, params: JSON) -> JSON:
        """Send a server->client request and wait (bounded) for the client's answer."""
        request_id = f"chatty-{next(self._ids)}"
        event, answer = anyio.Event(), list[JSON]()
        self._asks[request_id] = (event, answer)
        try:
            await emit({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
            with anyio.move_on_after(ANSWER_TIMEOUT):
                await event.wait()
        finally:
            del self._asks[request_id]
        if not answer:
            raise Failure(-32603, f"no answer to {method}")
        return answer[0]

    def answered(self, message: JSON) -> None:
        waiting = self._asks.get(str(message.get("id")))
        if waiting is not None:
            waiting[1].append(message)
            waiting[0].set()

    # --- requests and notifications from the client ---------------------------------

    async def notified(self, connection: Connection, message: JSON) -> None:
        if message.get("method") == "notifications/initialized" and connection.emit_outside is not None:
            emit = connection.emit_outside
            for _ in range(3):
                await emit(_notice("notifications/tools/list_changed"))
            await self.ask(emit, "roots/list", {})

    async def handle(self, connection: Connection, message: JSON, emit: Emit) -> JSON:
        """The response to one request; `emit` sends what goes out while it runs."""
        request_id = message.get("id")
        try:
            result = await self._result(connection, message.get("method"), message.get("params") or {}, emit)
        except Failure as exc:
            return {"jsonrpc": "2.0", "id": request_id, "error": exc.error}
        return {"jsonrpc": "2.0", "id": request_id, "result": result}

    async def _result(self, connection: Connection, method: object, params: JSON, emit: Emit) -> JSON:
        if method == self._fail_method and self._fail_while is not None and self._fail_while.exists():
            self.failures += 1
            self._count()
            raise Failure(-32603, "backend unavailable")
        if method == "initialize":
            connection.capabilities = params.get("capabilities") or {}
            await emit(_notice("notifications/tools/list_changed"))
            await self.ask(emit, "roots/list", {})
            return {
                "protocolVersion": "2025-11-25",
                "capabilities": {
                    "tools": {"listChanged": True},
                    "prompts": {"listChanged": True},
                    "resources": {"listChanged": True},
                    "logging": {},
                },
                "serverInfo": {"name": "chatty", "version": "1"},
            }
        if method == "ping":
            return {}
        if method == "tools/list":
            return await self._tools_page(connection, params, emit)
        if method == "tools/call":
            return await self._call(connection, params, emit)
        if method == "prompts/list":
            return {"prompts": [{"name": "greet", "description": "chatty greeting"}]}
        if method == "prompts/get":
            return {"messages": [{"role": "user", "content": {"type": "text", "text": "hello"}}]}
        if method == "resources/list":
            return {"resources": [{"uri": "chatty://note", "name": "note"}]}
        if method == "resources/templates/list":
            return {"resourceTemplates": [{"uriTemplate": "chatty://items/{id}", "name": "item"}]}
        if method == "resources/read":
            uri = params.get("uri")
            return {"contents": [{"uri": uri, "mimeType": "text/plain", "text": f"content of {uri}"}]}
        raise Failure(-32601, "Method not found")

    async def _tools_page(self, connection: Connection, params: JSON, emit: Emit) -> JSON:
        names = connection.tools()
        cursor = params.get("cursor")
        index = int(cursor) if isinstance(cursor, str) and cursor.isdigit() else 0
        if index == 0:
            self.passes_started += 1
            connection.passes += 1
        if connection.passes == 1:
            for kind in ("tools", "prompts", "resources"):
                await emit(_notice(f"notifications/{kind}/list_changed"))
            await emit(_notice("notifications/message", {"level": "info", "data": f"page {index}"}))
            await self.ask(emit, "roots/list", {})
        page: JSON = {"tools": [tool(names[index])]}
        if index + 1 < len(names):
            page["nextCursor"] = str(index + 1)
        else:
            self.passes_done += 1
            self._count()
        return page

    async def _call(self, connection: Connection, params: JSON, emit: Emit) -> JSON:
        name = params.get("name")
        if not isinstance(name, str) or name not in connection.tools():
            raise Failure(-32602, f"Unknown tool: {name}")
        if name in _ASKS:
            method, asked = _ASKS[name]
            # The call's arguments go into the request as they are (`includeContext`, say).
            extra = params.get("arguments") or {}
            return text_result(await self.ask(emit, method, {**asked, **extra}))
        if name == "echo":
            return await self._echo(params, emit)
        if name == "announce":
            await emit(_notice("notifications/tools/list_changed"))
            return text_result("announced")
        if name in ("wait_passes", "wait_failures"):
            wanted = int((params.get("arguments") or {}).get("count", 1))
            with anyio.move_on_after(ANSWER_TIMEOUT):
                while (self.passes_done if name == "wait_passes" else self.failures) < wanted:
                    await self._counted.wait()
        return text_result(
            {"started": self.passes_started, "done": self.passes_done, "failures": self.failures}
        )

    def _count(self) -> None:
        self._counted.set()
        self._counted = anyio.Event()

    async def _echo(self, params: JSON, emit: Emit) -> JSON:
        token = (params.get("_meta") or {}).get("progressToken")
        if token is not None:
            await emit(_notice("notifications/progress", {"progressToken": token, "progress": 1, "total": 2}))
        await emit(_notice("notifications/message", {"level": "info", "data": "echo running"}))
        await self.ask(emit, "ping", {})
        roots = await self.ask(emit, "roots/list", {})
        # After the ask: over stdio a server->client request can be attributed to a call only
        # while that call is the one in flight, and this notice starts a catalog refresh.
        await emit(_notice("notifications/prompts/list_changed"))
        if token is not None:
            await emit(_notice("notifications/progress", {"progressToken": token, "progress": 2, "total": 2}))
        text = (params.get("arguments") or {}).get("text", "")
        return text_result({"echo": text, "roots": "result" in roots})


def _notice(method: str, params: JSON | None = None) -> JSON:
    message: JSON = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    return message

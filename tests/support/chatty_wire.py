"""The chatty upstream (chatty.py) over stdio and over Streamable HTTP, as a process.

    python -m tests.support.chatty_wire stdio [--fail METHOD --fail-while PATH]
    python -m tests.support.chatty_wire http [--fail METHOD --fail-while PATH]

Over HTTP the process prints ``READY http://127.0.0.1:<port>/mcp`` once it accepts
connections. Each POSTed request is answered with an SSE stream that carries whatever the
server sends while it runs; messages outside any request go on the session's GET stream.
"""

from __future__ import annotations

import argparse
import json
import secrets
import socket
import sys
from pathlib import Path
from typing import Any

import anyio
import uvicorn
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectSendStream
from starlette.types import Receive, Scope, Send

from tests.support.chatty import JSON, Chatty, Connection


async def serve_stdio(chatty: Chatty) -> None:
    lock = anyio.Lock()

    async def write(message: JSON) -> None:
        async with lock:
            sys.stdout.buffer.write(json.dumps(message).encode() + b"\n")
            sys.stdout.buffer.flush()

    connection = Connection(emit_outside=write)

    async def respond(message: JSON) -> None:
        await write(await chatty.handle(connection, message, write))

    async with anyio.create_task_group() as tg:
        async for line in anyio.wrap_file(sys.stdin.buffer):
            if not line.strip():
                continue
            message = json.loads(line)
            if "method" not in message:
                chatty.answered(message)
            elif "id" in message:
                tg.start_soon(respond, message)
            else:
                tg.start_soon(chatty.notified, connection, message)
        tg.cancel_scope.cancel()


class HttpChatty:
    """Raw ASGI: POST (requests, notifications, answers), GET (session stream), DELETE."""

    def __init__(self, chatty: Chatty, tg: TaskGroup) -> None:
        self._chatty = chatty
        self._tg = tg
        self._sessions: dict[str, Connection] = {}
        self._outside: dict[str, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        session_id = headers.get("mcp-session-id", "")
        if scope["method"] == "GET":
            await self._get(session_id, receive, send)
        elif scope["method"] == "POST":
            body = b""
            while True:
                event = await receive()
                body += event.get("body", b"")
                if not event.get("more_body"):
                    break
            await self._post(session_id, json.loads(body), send)
        else:
            self._sessions.pop(session_id, None)
            await _plain(send, 200, b"")

    async def _post(self, session_id: str, message: JSON, send: Send) -> None:
        if "method" not in message:
            self._chatty.answered(message)
            await _plain(send, 202, b"")
            return
        connection = self._sessions.get(session_id)
        if message["method"] == "initialize":
            session_id = secrets.token_hex(8)
            connection = self._sessions[session_id] = Connection()
            outside_send, outside_receive = anyio.create_memory_object_stream[JSON](1000)
            connection.emit_outside = _nowait(outside_send)
            self._outside[session_id] = outside_receive
        elif connection is None:
            error = {"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": "no session"}}
            await _plain(send, 400 if not session_id else 404, json.dumps(error).encode())
            return
        if "id" not in message:
            self._tg.start_soon(self._chatty.notified, connection, message)
            await _plain(send, 202, b"")
            return
        await _start_sse(send, {"mcp-session-id": session_id})

        async def emit(outgoing: JSON) -> None:
            await send({"type": "http.response.body", "body": _event(outgoing), "more_body": True})

        response = await self._chatty.handle(connection, message, emit)
        await send({"type": "http.response.body", "body": _event(response), "more_body": False})

    async def _get(self, session_id: str, receive: Receive, send: Send) -> None:
        outside = self._outside.pop(session_id, None)
        if outside is None:
            await _plain(send, 405 if session_id in self._sessions else 404, b"")
            return
        await _start_sse(send, {})
        await send({"type": "http.response.body", "body": b": open\n\n", "more_body": True})

        async def relay() -> None:
            async for message in outside:
                await send({"type": "http.response.body", "body": _event(message), "more_body": True})

        # The stream ends when its client goes: uvicorn waits for every open request before it
        # exits, so a stream still waiting for a message would hold a SIGTERM off until SIGKILL.
        try:
            async with anyio.create_task_group() as stream:
                stream.start_soon(relay)
                while (await receive())["type"] != "http.disconnect":
                    pass
                stream.cancel_scope.cancel()
        finally:
            self._outside.setdefault(session_id, outside)


def _nowait(stream: MemoryObjectSendStream[JSON]) -> Any:
    async def emit(message: JSON) -> None:
        stream.send_nowait(message)

    return emit


def _event(message: JSON) -> bytes:
    return b"event: message\ndata: " + json.dumps(message).encode() + b"\n\n"


async def _start_sse(send: Send, extra: dict[str, str]) -> None:
    headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
    headers.extend((key.encode(), value.encode()) for key, value in extra.items())
    await send({"type": "http.response.start", "status": 200, "headers": headers})


async def _plain(send: Send, status: int, body: bytes) -> None:
    content_type = b"application/json" if body else b"text/plain"
    headers = [(b"content-type", content_type)]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Announcing(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and sockets:
            print(f"READY http://127.0.0.1:{sockets[0].getsockname()[1]}/mcp", flush=True)


async def serve_http(chatty: Chatty) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    async with anyio.create_task_group() as tg:
        server = _Announcing(uvicorn.Config(HttpChatty(chatty, tg), log_level="warning", lifespan="off"))
        await server.serve(sockets=[sock])
        tg.cancel_scope.cancel()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("transport", choices=["stdio", "http"])
    parser.add_argument("--fail", help="a list method that fails while --fail-while exists")
    parser.add_argument("--fail-while", type=Path)
    args = parser.parse_args()
    chatty = Chatty(args.fail, args.fail_while)
    anyio.run(serve_stdio if args.transport == "stdio" else serve_http, chatty)


if __name__ == "__main__":
    main()

"""What only the stdio transport does: supervise its child process, and frame lines."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import anyio
import pytest

from authz_mcp.config.model import StdioUpstreamConfig
from authz_mcp.errors import UpstreamFailed, UpstreamUnavailable
from authz_mcp.upstream.base import SHARED_SESSION
from authz_mcp.upstream.process import LineBuffer, child_environment
from authz_mcp.upstream.stdio import StdioUpstream
from tests.upstream.conftest import CLIENT_CAPABILITIES
from tests.upstream.sinks import RecordingHandler, RecordingSink

# A scripted server: garbage before its initialize answer, and a ping of its own
# (answered by the upstream layer) before it answers tools/list.
_SCRIPTED_SERVER = """
import json, sys
def send(message):
    print(json.dumps(message), flush=True)
for line in sys.stdin:
    message = json.loads(line)
    method = message.get("method")
    if method == "initialize":
        print("this is not json", flush=True)
        print("[1, 2]", flush=True)
        send({"jsonrpc": "2.0", "id": message["id"], "result": {"protocolVersion": "2025-11-25",
              "capabilities": {}, "serverInfo": {"name": "scripted", "version": "0"}}})
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": "server-ping", "method": "ping"})
        pong = json.loads(sys.stdin.readline())
        send({"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "hi"}})
        send({"jsonrpc": "2.0", "id": message["id"], "result": {"tools": [], "pong": pong}})
"""


async def test_killed_process_fails_the_call_at_once_then_restarts(stdio_upstream: StdioUpstream) -> None:
    sink = RecordingSink()
    failures: list[UpstreamFailed] = []
    old_pid = stdio_upstream.pid
    assert old_pid is not None
    params = {
        "name": "slow_task",
        "arguments": {"steps": 100, "delay_ms": 100},
        "_meta": {"progressToken": "k"},
    }

    async def slow_call() -> None:
        try:
            await stdio_upstream.request(SHARED_SESSION, "tools/call", params, sink=sink)
        except UpstreamFailed as exc:
            failures.append(exc)

    with anyio.fail_after(15):
        async with anyio.create_task_group() as tg:
            tg.start_soon(slow_call)
            await sink.first_progress.wait()
            os.kill(old_pid, signal.SIGKILL)
            killed_at = anyio.current_time()
    assert anyio.current_time() - killed_at < 2
    assert len(failures) == 1
    assert not stdio_upstream.available

    with anyio.fail_after(20):
        await stdio_upstream.wait_available()
    assert stdio_upstream.pid not in (None, old_pid)
    echo = {"name": "echo", "arguments": {"text": "back"}}
    result = await stdio_upstream.request(SHARED_SESSION, "tools/call", echo)
    assert result["content"][0]["text"] == "back"


async def test_every_session_shares_the_one_process(stdio_upstream: StdioUpstream) -> None:
    first = await stdio_upstream.open_session(CLIENT_CAPABILITIES)
    second = await stdio_upstream.open_session({})

    assert first == second == SHARED_SESSION


async def test_reader_survives_invalid_lines_and_pings_are_answered(tmp_path: Path) -> None:
    script = tmp_path / "scripted_server.py"
    script.write_text(_SCRIPTED_SERVER)
    config = StdioUpstreamConfig(
        transport="stdio", command=sys.executable, args=(str(script),), protocol="legacy"
    )
    upstream = StdioUpstream("scripted", config, client_capabilities={})
    handler = RecordingHandler()
    upstream.set_unsolicited_handler(handler)
    try:
        with anyio.fail_after(10):
            await upstream.start()
            assert upstream.available
            result = await upstream.request(SHARED_SESSION, "tools/list", None)
    finally:
        await upstream.aclose()

    assert result["pong"] == {"jsonrpc": "2.0", "id": "server-ping", "result": {}}
    # One request in flight and no sink: the notification goes to the proxy's handler.
    assert handler.received == [
        (
            SHARED_SESSION,
            {"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "hi"}},
        )
    ]


async def test_missing_command_leaves_the_upstream_unavailable_without_raising() -> None:
    config = StdioUpstreamConfig(transport="stdio", command="/nonexistent/authz-mcp-test-server")
    upstream = StdioUpstream("missing", config, client_capabilities={})
    try:
        with anyio.fail_after(10):
            await upstream.start()
        assert not upstream.available
        with pytest.raises(UpstreamUnavailable):
            await upstream.request(SHARED_SESSION, "tools/list", None)
    finally:
        await upstream.aclose()


def test_child_environment_is_a_minimal_base_plus_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/usr/bin")
    monkeypatch.setenv("AUTHZ_MCP_REDIS_PASSWORD", "secret")
    monkeypatch.setenv("SHELL", "() { :; }; echo pwned")

    env = child_environment({"LOG_LEVEL": "warn"})

    assert env["PATH"] == "/usr/bin"
    assert env["LOG_LEVEL"] == "warn"
    assert "AUTHZ_MCP_REDIS_PASSWORD" not in env
    assert "SHELL" not in env


def test_line_buffer_joins_chunks_and_skips_an_overlong_line() -> None:
    lines = LineBuffer(limit=8)

    assert lines.feed(b'{"a"') == []
    assert lines.feed(b":1}\n0123456789") == [b'{"a":1}', None]
    assert lines.feed(b"more of it\n{}\n") == [b"{}"]
    assert lines.feed(b"123456789\n") == [None]

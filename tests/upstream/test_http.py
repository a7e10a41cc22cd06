"""What only Streamable HTTP does: sessions, resumption by another replica, the GET stream."""

from __future__ import annotations

import socket

import anyio
import pytest

from authz_mcp.errors import UpstreamSessionExpired, UpstreamUnavailable
from authz_mcp.upstream.base import SHARED_SESSION
from authz_mcp.upstream.http import HttpUpstream
from tests.support.upstreams import http_demo_server
from tests.upstream.conftest import CLIENT_CAPABILITIES, http_config
from tests.upstream.sinks import RecordingHandler

ECHO = {"name": "echo", "arguments": {"text": "ping"}}


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/mcp"


async def test_each_session_gets_its_own_handle(http_upstream: HttpUpstream) -> None:
    first = await http_upstream.open_session(CLIENT_CAPABILITIES)
    second = await http_upstream.open_session(CLIENT_CAPABILITIES)

    assert first
    assert second
    assert first != second


async def test_another_replica_resumes_a_session_by_its_handle(
    http_upstream: HttpUpstream, demo_url: str
) -> None:
    handle = await http_upstream.open_session(CLIENT_CAPABILITIES)
    replica = HttpUpstream("demo", http_config(demo_url), client_capabilities={})
    await replica.start()
    try:
        resumed = await replica.open_session(CLIENT_CAPABILITIES, resume=handle)
        result = await replica.request(resumed, "tools/call", ECHO)
    finally:
        await replica.aclose()

    assert resumed == handle
    assert result["content"][0]["text"] == "ping"


async def test_closed_session_is_expired_on_next_use(http_upstream: HttpUpstream) -> None:
    handle = await http_upstream.open_session(CLIENT_CAPABILITIES)
    await http_upstream.close_session(handle)

    with pytest.raises(UpstreamSessionExpired):
        await http_upstream.request(handle, "tools/call", ECHO)


async def test_upstream_down_is_unavailable_and_start_does_not_raise() -> None:
    upstream = HttpUpstream("down", http_config(_closed_port_url()), client_capabilities={})
    try:
        with anyio.fail_after(10):
            await upstream.start()
        assert not upstream.available
        with pytest.raises(UpstreamUnavailable):
            await upstream.request(SHARED_SESSION, "tools/list", None)
        with pytest.raises(UpstreamUnavailable):
            await upstream.open_session(CLIENT_CAPABILITIES)
    finally:
        await upstream.aclose()


async def test_listen_delivers_tools_list_changed_to_the_handler(http_upstream: HttpUpstream) -> None:
    handler = RecordingHandler()
    http_upstream.set_unsolicited_handler(handler)
    handle = await http_upstream.open_session(CLIENT_CAPABILITIES)
    add_tool = {"name": "add_dynamic_tool", "arguments": {"name": "fresh_tool"}}

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            await tg.start(http_upstream.listen, handle)
            await http_upstream.request(handle, "tools/call", add_tool)
            await handler.got_message.wait()
            tg.cancel_scope.cancel()

    assert handler.received == [(handle, {"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})]


@pytest.mark.parametrize("mode", ["--stateless", "--json-response"])
async def test_stateless_and_json_response_upstreams_work(mode: str) -> None:
    async with http_demo_server(mode) as url:
        upstream = HttpUpstream("demo", http_config(url), client_capabilities={})
        await upstream.start()
        try:
            handle = await upstream.open_session(CLIENT_CAPABILITIES)
            result = await upstream.request(handle, "tools/call", ECHO)
            await upstream.close_session(handle)
        finally:
            await upstream.aclose()

    assert result["content"][0]["text"] == "ping"
    assert (handle == "") == (mode == "--stateless")

"""The `Upstream` contract, held by every transport against the real demo server."""

from __future__ import annotations

import anyio
import pytest

from authz_mcp.errors import INVALID_PARAMS, METHOD_NOT_FOUND, UpstreamRpcError, UpstreamTimeout
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.upstream.base import SHARED_SESSION, Upstream
from authz_mcp.upstream.http import HttpUpstream
from tests.upstream.sinks import RecordingSink


def call(tool: str, progress_token: str | None = None, **arguments: object) -> JSONObject:
    params: JSONObject = {"name": tool, "arguments": arguments}
    if progress_token is not None:
        params["_meta"] = {"progressToken": progress_token}
    return params


async def test_initialize_result_is_available_after_start(upstream: Upstream) -> None:
    assert upstream.available
    result = upstream.initialize_result
    assert result is not None
    assert result["protocolVersion"] == "2025-11-25"
    assert result["serverInfo"]["name"] == "authz-mcp-demo"
    assert result["capabilities"]["tools"] == {"listChanged": True}


async def test_tools_list_result_is_the_upstreams_json(upstream: Upstream, handle: str) -> None:
    result = await upstream.request(handle, "tools/list", None)

    echo = next(tool for tool in result["tools"] if tool["name"] == "echo")
    # Wire names, as the upstream sent them: nothing re-modelled on the way.
    assert echo["inputSchema"]["properties"]["text"]["type"] == "string"
    assert echo["annotations"]["readOnlyHint"] is True
    assert "nextCursor" not in result


async def test_tools_call_returns_the_tool_result(upstream: Upstream, handle: str) -> None:
    result = await upstream.request(handle, "tools/call", call("echo", text="hello"))

    assert result == {"content": [{"type": "text", "text": "hello"}], "isError": False}


@pytest.mark.parametrize(
    ("method", "params", "code"),
    [
        ("tools/call", call("no_such_tool"), INVALID_PARAMS),
        ("no/such_method", {}, METHOD_NOT_FOUND),
    ],
)
async def test_jsonrpc_error_is_raised_as_upstream_rpc_error(
    upstream: Upstream, handle: str, method: str, params: JSONObject, code: int
) -> None:
    with pytest.raises(UpstreamRpcError) as raised:
        await upstream.request(handle, method, params)

    assert raised.value.error["code"] == code


async def test_progress_notifications_reach_the_requests_sink(upstream: Upstream, handle: str) -> None:
    sink = RecordingSink()

    result = await upstream.request(
        handle, "tools/call", call("slow_task", "progress-1", steps=3, delay_ms=1), sink=sink
    )

    assert result["content"][0]["text"] == "completed 3 steps"
    progress = [m["params"] for m in sink.messages if m["method"] == "notifications/progress"]
    assert [(p["progressToken"], p["progress"], p["total"]) for p in progress] == [
        ("progress-1", 1, 3),
        ("progress-1", 2, 3),
        ("progress-1", 3, 3),
    ]


async def test_sampling_request_is_answered_by_the_sink(upstream: Upstream, handle: str) -> None:
    answer = {"role": "assistant", "content": {"type": "text", "text": "forty-two"}, "model": "test-model"}
    sink = RecordingSink(answer=answer)

    result = await upstream.request(handle, "tools/call", call("ask_model", question="meaning?"), sink=sink)

    assert result["content"][0]["text"] == "forty-two"
    (sampling,) = [m for m in sink.messages if m.get("method") == "sampling/createMessage"]
    assert sampling["params"]["messages"][0]["content"]["text"] == "meaning?"


async def test_cancelled_call_ends_promptly_and_the_connection_stays_usable(
    upstream: Upstream, handle: str
) -> None:
    sink = RecordingSink()
    params = call("slow_task", "progress-cancel", steps=100, delay_ms=100)

    with anyio.fail_after(15):
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: upstream.request(handle, "tools/call", params, sink=sink))
            await sink.first_progress.wait()
            cancelled_at = anyio.current_time()
            tg.cancel_scope.cancel()
    assert anyio.current_time() - cancelled_at < 3

    result = await upstream.request(handle, "tools/call", call("echo", text="still here"))
    assert result["content"][0]["text"] == "still here"


async def test_timeout_raises_upstream_timeout(upstream: Upstream, handle: str) -> None:
    params = call("slow_task", steps=100, delay_ms=100)

    with anyio.fail_after(10), pytest.raises(UpstreamTimeout):
        await upstream.request(handle, "tools/call", params, timeout=0.3)

    result = await upstream.request(handle, "tools/call", call("echo", text="after timeout"))
    assert result["content"][0]["text"] == "after timeout"


async def test_a_probe_is_a_connection_of_its_own_and_closing_it_leaves_the_upstream_serving(
    upstream: Upstream,
) -> None:
    probe = upstream.probe({"roots": {}})
    if isinstance(upstream, HttpUpstream):
        assert probe is None  # each session declares its client's capabilities
        return
    assert probe is not None
    assert probe is not upstream
    try:
        with anyio.fail_after(30):
            await probe.start()
            assert probe.available
            listed = await probe.request(SHARED_SESSION, "tools/list", None)
        assert any(tool["name"] == "echo" for tool in listed["tools"])
    finally:
        await probe.aclose()
    assert upstream.available
    result = await upstream.request(SHARED_SESSION, "tools/call", call("echo", text="still here"))
    assert result["content"] == [{"type": "text", "text": "still here"}]

"""Notifications and server-to-client requests: progress, logging, sampling, elicitation, roots."""

from __future__ import annotations

import json

import anyio
import mcp_types as types
from mcp.client import ClientRequestContext, IncomingMessage
from mcp_types import TextContent

from tests.demo.clients import demo_client
from tests.support.gateway import HttpServers
from tests.support.upstreams import Transport

NOTIFICATION_TIMEOUT = 10.0


def text_of(result: types.CallToolResult) -> str:
    assert result.is_error is False
    [block] = result.content
    assert isinstance(block, TextContent)
    return block.text


async def test_slow_task_reports_progress_and_logs_each_step(
    transport: Transport, servers: HttpServers
) -> None:
    reports: list[tuple[float, float | None]] = []
    logs: list[types.LoggingMessageNotificationParams] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        reports.append((progress, total))

    async def on_log(params: types.LoggingMessageNotificationParams) -> None:
        logs.append(params)

    async with demo_client(transport, servers=servers, logging_callback=on_log) as client:
        result = await client.call_tool(
            "slow_task", {"steps": 3, "delay_ms": 1}, progress_callback=on_progress
        )

    assert text_of(result) == "completed 3 steps"
    assert reports == [(1, 3), (2, 3), (3, 3)]
    # Related-request notifications are sent before the response on the same stream.
    assert [log.level for log in logs] == ["info"] * 3


async def test_ask_model_returns_the_sampled_answer(transport: Transport, servers: HttpServers) -> None:
    questions: list[str] = []

    async def sample(
        context: ClientRequestContext, params: types.CreateMessageRequestParams
    ) -> types.CreateMessageResult:
        message = params.messages[0].content
        assert isinstance(message, TextContent)
        questions.append(message.text)
        return types.CreateMessageResult(
            role="assistant", content=TextContent(type="text", text="42"), model="test"
        )

    async with demo_client(transport, servers=servers, sampling_callback=sample) as client:
        result = await client.call_tool("ask_model", {"question": "meaning of life?"})

    assert text_of(result) == "42"
    assert questions == ["meaning of life?"]


async def test_confirm_action_returns_what_the_user_chose(transport: Transport, servers: HttpServers) -> None:
    async def elicit(context: ClientRequestContext, params: types.ElicitRequestParams) -> types.ElicitResult:
        assert isinstance(params, types.ElicitRequestFormParams)
        assert "confirm" in params.requested_schema["properties"]
        return types.ElicitResult(action="accept", content={"confirm": True})

    async with demo_client(transport, servers=servers, elicitation_callback=elicit) as client:
        result = await client.call_tool("confirm_action", {"action": "drop table"})

    assert json.loads(text_of(result)) == {"action": "accept", "content": {"confirm": True}}


async def test_confirm_action_reports_a_decline() -> None:
    async def decline(context: ClientRequestContext, params: types.ElicitRequestParams) -> types.ElicitResult:
        return types.ElicitResult(action="decline")

    async with demo_client("stdio", elicitation_callback=decline) as client:
        result = await client.call_tool("confirm_action", {"action": "drop table"})

    assert json.loads(text_of(result)) == {"action": "decline", "content": None}


async def test_list_client_roots_returns_the_root_uris(transport: Transport, servers: HttpServers) -> None:
    async def roots(context: ClientRequestContext) -> types.ListRootsResult:
        return types.ListRootsResult(
            roots=[types.Root(uri="file:///srv/project"), types.Root(uri="file:///home/me")]  # type: ignore[arg-type]
        )

    async with demo_client(transport, servers=servers, list_roots_callback=roots) as client:
        result = await client.call_tool("list_client_roots", {})

    assert text_of(result).splitlines() == ["file:///srv/project", "file:///home/me"]


async def test_subscribers_hear_about_touched_resources(transport: Transport) -> None:
    # A server of its own: the reply counts every session's subscriptions.
    send, updates = anyio.create_memory_object_stream[str](10)

    async def on_message(message: IncomingMessage) -> None:
        if isinstance(message, types.ResourceUpdatedNotification):
            await send.send(message.params.uri)

    async with demo_client(transport, message_handler=on_message) as client:
        # Sent raw: the SDK client marks resources/subscribe deprecated (2026-07-28 replaces it).
        subscribe = types.SubscribeRequest(params=types.SubscribeRequestParams(uri="demo://docs/readme"))
        await client.session.send_request(subscribe, types.EmptyResult)
        touched = await client.call_tool("touch_resource", {"uri": "demo://docs/readme"})
        with anyio.fail_after(NOTIFICATION_TIMEOUT):
            updated = await updates.receive()
        unsubscribe = types.UnsubscribeRequest(
            params=types.UnsubscribeRequestParams(uri="demo://docs/readme")
        )
        await client.session.send_request(unsubscribe, types.EmptyResult)
        touched_again = await client.call_tool("touch_resource", {"uri": "demo://docs/readme"})
    send.close()
    updates.close()

    assert updated == "demo://docs/readme"
    assert text_of(touched).endswith(" to 1 subscriber(s)")
    assert text_of(touched_again).endswith(" to 0 subscriber(s)")


async def test_add_dynamic_tool_announces_and_lists_the_new_tool(transport: Transport) -> None:
    # A server of its own: the tool it adds cannot be removed.
    changed = anyio.Event()

    async def on_message(message: IncomingMessage) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            changed.set()

    async with demo_client(transport, message_handler=on_message) as client:
        added = await client.call_tool("add_dynamic_tool", {"name": "fresh_tool"})
        with anyio.fail_after(NOTIFICATION_TIMEOUT):
            await changed.wait()
        names = {tool.name for tool in (await client.list_tools()).tools}
        called = await client.call_tool("fresh_tool", {"value": "v"})
        duplicate = await client.call_tool("add_dynamic_tool", {"name": "fresh_tool"})

    assert text_of(added) == "added tool fresh_tool"
    assert "fresh_tool" in names
    assert text_of(called) == "fresh_tool:v"
    assert text_of(duplicate).startswith("cannot add tool")

"""In every cell, the upstream's questions reach the client and back (as server->client
requests or as MRTR `input_required` rounds, whichever each side speaks), progress
reaches the caller, and a cancelled call stops on the upstream."""

from __future__ import annotations

import json
from typing import Any

import anyio
from mcp.client import ClientRequestContext
from mcp_types import (
    CreateMessageRequestParams,
    CreateMessageResult,
    ElicitResult,
    LoggingMessageNotificationParams,
    TextContent,
)

from tests.modern.conftest import Cell
from tests.support.clients import call_outcome

CANCELLED_LINE = "slow_task cancelled"


async def eventually(predicate: Any, timeout: float, what: str) -> None:
    """Poll a condition another process brings about, bounded by `timeout`."""
    with anyio.fail_after(timeout):
        while not predicate():
            await anyio.sleep(0.02)


async def test_sampling_round_trip_reaches_the_client_and_back(cell: Cell) -> None:
    asked: list[str] = []

    async def sample(
        context: ClientRequestContext, params: CreateMessageRequestParams
    ) -> CreateMessageResult:
        content = params.messages[0].content
        asked.append(content.text if isinstance(content, TextContent) else "")
        return CreateMessageResult(
            role="assistant", content=TextContent(type="text", text="forty-two"), model="m"
        )

    async with cell.client("bob", sampling_callback=sample) as bob:
        with anyio.fail_after(20):
            result = await bob.call_tool("demo__ask_model", {"question": "meaning of life?"})
    assert result.content == [TextContent(type="text", text="forty-two")]
    assert asked == ["meaning of life?"]


async def test_elicitation_round_trip_reaches_the_client_and_back(cell: Cell) -> None:
    async def elicit(context: ClientRequestContext, params: Any) -> ElicitResult:
        return ElicitResult(action="accept", content={"confirm": True})

    async with cell.client("bob", elicitation_callback=elicit) as bob:
        with anyio.fail_after(20):
            result = await bob.call_tool("demo__confirm_action", {"action": "drop table"})
    assert isinstance(result.content[0], TextContent)
    assert json.loads(result.content[0].text) == {"action": "accept", "content": {"confirm": True}}


async def test_a_client_without_the_capability_gets_an_error_not_a_hang(cell: Cell) -> None:
    async with cell.client("bob") as bob:
        with anyio.fail_after(20):
            outcome = await call_outcome(bob.call_tool("demo__ask_model", {"question": "anyone?"}))
    assert outcome != "ok"


async def test_progress_reaches_the_caller_in_order(cell: Cell) -> None:
    seen: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(progress)

    async with cell.client("bob") as bob:
        with anyio.fail_after(20):
            result = await bob.call_tool(
                "demo__slow_task", {"steps": 3, "delay_ms": 5}, progress_callback=on_progress
            )
    assert result.content == [TextContent(type="text", text="completed 3 steps")]
    assert seen == [1, 2, 3]


async def test_a_cancelled_call_stops_on_the_upstream_and_the_client_goes_on(cell: Cell) -> None:
    cancelled_before = sum(CANCELLED_LINE in line for line in cell.upstream_log)
    running = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        running.set()

    async with cell.client("bob") as bob:
        with anyio.fail_after(20):
            async with anyio.create_task_group() as group:

                async def call() -> None:
                    arguments = {"steps": 100, "delay_ms": 100}
                    await bob.call_tool("demo__slow_task", arguments, progress_callback=on_progress)

                group.start_soon(call)
                await running.wait()
                # Legacy: the SDK sends notifications/cancelled; 2026-07-28: it closes the stream.
                group.cancel_scope.cancel()
        await eventually(
            lambda: sum(CANCELLED_LINE in line for line in cell.upstream_log) > cancelled_before,
            timeout=8,
            what="the upstream to cancel slow_task",
        )
        after = await bob.call_tool("demo__echo", {"text": "still here"})
    assert after.content == [TextContent(type="text", text="still here")]


async def test_log_messages_reach_a_client_that_asked_for_them_and_no_other(cell: Cell) -> None:
    """Legacy clients get every level until they set one; 2026-07-28 clients opt in per request."""
    heard: list[object] = []
    silent: list[object] = []

    async def on_log(params: LoggingMessageNotificationParams) -> None:
        heard.append(params.data)

    async def on_silent_log(params: LoggingMessageNotificationParams) -> None:
        silent.append(params.data)

    opt_in = "info" if cell.modern_client else None
    async with cell.client("bob", logging_callback=on_log, log_level=opt_in) as bob:
        await bob.call_tool("demo__slow_task", {"steps": 2, "delay_ms": 1})
    assert heard == ["slow_task finished step 1/2", "slow_task finished step 2/2"]
    if cell.modern_client:
        async with cell.client("bob", logging_callback=on_silent_log) as quiet:
            await quiet.call_tool("demo__slow_task", {"steps": 2, "delay_ms": 1})
        assert silent == []

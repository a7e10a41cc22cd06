"""In every cell, list changes and resource updates reach exactly the users entitled to them:
on the GET stream for a legacy client, on a `subscriptions/listen` stream for a modern one.

A legacy SDK client opens its GET stream on its own after the handshake, with no signal
when it is open; so the legacy side repeats the trigger (each one a fresh change) until
the first notification arrives, within a bound.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio
import pytest
from mcp import Client, MCPError
from mcp.client.session import IncomingMessage
from mcp.client.subscriptions import ResourceUpdated, ServerEvent, ToolsListChanged

from tests.modern.conftest import Cell

pytestmark = pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")

HANDBOOK = "demo://docs/handbook"
PAYROLL = "demo://finance/payroll"
_TRIGGER_EVERY = 0.3
_BOUND = 15.0


class Inbox:
    """What one client heard, as (method, uri) pairs, in arrival order."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, str | None]] = []
        self._changed = anyio.Event()

    def add(self, method: str, uri: str | None = None) -> None:
        self.heard.append((method, uri))
        self._changed.set()
        self._changed = anyio.Event()

    async def until(self, wanted: tuple[str, str | None], trigger: Callable[[], Awaitable[object]]) -> None:
        """Trigger until `wanted` has been heard (once more than before), within the bound."""
        count = self.heard.count(wanted)
        with anyio.fail_after(_BOUND):
            while self.heard.count(wanted) == count:
                await trigger()
                with anyio.move_on_after(_TRIGGER_EVERY):
                    while self.heard.count(wanted) == count:
                        await self._changed.wait()

    async def legacy_handler(self, message: IncomingMessage) -> None:
        if isinstance(message, Exception):
            return
        params = getattr(message, "params", None)
        uri = getattr(params, "uri", None)
        self.add(message.method, str(uri) if uri is not None else None)


@asynccontextmanager
async def listening(
    cell: Cell, user: str, uris: list[str], groups: list[str] | None = None
) -> AsyncIterator[tuple[Client, Inbox]]:
    """`user`'s client, hearing list changes and updates of `uris`, in the cell's era."""
    inbox = Inbox()
    async with cell.client(user, groups=groups, message_handler=inbox.legacy_handler) as client:
        if not cell.modern_client:
            for uri in uris:
                await client.subscribe_resource(uri)
            yield client, inbox
            return
        async with client.listen(tools_list_changed=True, resource_subscriptions=uris) as subscription:
            assert set(subscription.honored.resource_subscriptions or ()) == set(uris)
            async with anyio.create_task_group() as group:

                async def pump() -> None:
                    async for event in subscription:
                        inbox.add(*_as_heard(event))

                group.start_soon(pump)
                yield client, inbox
                group.cancel_scope.cancel()


def _as_heard(event: ServerEvent) -> tuple[str, str | None]:
    if isinstance(event, ResourceUpdated):
        return "notifications/resources/updated", event.uri
    if isinstance(event, ToolsListChanged):
        return "notifications/tools/list_changed", None
    return type(event).__name__, None


async def test_resource_updates_reach_subscribers_who_may_read(cell: Cell) -> None:
    async with (
        cell.client("alice") as alice,
        listening(cell, "bob", [HANDBOOK]) as (_, bob),
    ):
        await bob.until(
            ("notifications/resources/updated", HANDBOOK),
            lambda: alice.call_tool("demo__touch_resource", {"uri": HANDBOOK}),
        )
    assert set(bob.heard) == {("notifications/resources/updated", HANDBOOK)}


async def test_list_changed_reaches_only_users_whose_view_changed(cell: Cell) -> None:
    """Alice (every tool) hears her new tools; Carol (no tools) hears only the resource
    updates she subscribed to, which mark that anything sent before them has arrived."""
    payroll = ("notifications/resources/updated", PAYROLL)
    changed = ("notifications/tools/list_changed", None)
    async with (
        listening(cell, "alice", []) as (alice_client, alice),
        listening(cell, "carol", [PAYROLL], groups=["finance"]) as (_, carol),
    ):

        async def touch_payroll() -> object:
            return await alice_client.call_tool("demo__touch_resource", {"uri": PAYROLL})

        async def add_tool() -> object:
            name = f"fresh_{uuid.uuid4().hex[:8]}"
            return await alice_client.call_tool("demo__add_dynamic_tool", {"name": name})

        await carol.until(payroll, touch_payroll)
        await alice.until(changed, add_tool)
        await carol.until(payroll, touch_payroll)
        listed = {tool.name for tool in (await alice_client.list_tools()).tools}
    assert changed not in carol.heard
    assert any(name.startswith("demo__fresh_") for name in listed)


async def test_a_hidden_resource_is_not_subscribed(cell: Cell) -> None:
    async with cell.client("bob") as bob:
        if cell.modern_client:
            async with bob.listen(resource_subscriptions=[PAYROLL, HANDBOOK]) as subscription:
                honored = subscription.honored.resource_subscriptions
            assert honored == [HANDBOOK]
        else:
            with pytest.raises(MCPError) as raised:
                await bob.subscribe_resource(PAYROLL)
            assert raised.value.error.code == -32002

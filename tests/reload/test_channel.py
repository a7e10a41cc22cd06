"""The replicas' channel on a real Redis: notices reach the others, and a lost
subscription comes back with a catch-up reload."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import redis.asyncio

from authz_mcp.reload.channel import PolicyChannel
from tests.support.redis import REDIS_URL

Notices = anyio.abc.ObjectReceiveStream[str | None]


@asynccontextmanager
async def _following(channel: PolicyChannel) -> AsyncIterator[Notices]:
    send, receive = anyio.create_memory_object_stream[str | None](10)
    async with anyio.create_task_group() as group:
        await group.start(channel.listen, send.send)
        yield receive
        group.cancel_scope.cancel()
    await channel.aclose()


def _channel(prefix: str, name: str) -> PolicyChannel:
    client = redis.asyncio.from_url(REDIS_URL, decode_responses=True, client_name=name)
    return PolicyChannel(client, f"{prefix}policy-changed")


async def _nothing_within(notices: Notices, seconds: float) -> bool:
    with anyio.move_on_after(seconds):
        await notices.receive()
        return False
    return True


async def test_a_notice_reaches_the_other_replica_and_not_its_sender(redis_prefix: str) -> None:
    first, second = _channel(redis_prefix, "first"), _channel(redis_prefix, "second")
    async with _following(first) as to_first, _following(second) as to_second:
        await first.publish("v2")
        with anyio.fail_after(5):
            assert await to_second.receive() == "v2"
        assert await _nothing_within(to_first, 0.5)


async def test_malformed_notices_are_ignored(redis_prefix: str) -> None:
    channel = _channel(redis_prefix, "listener")
    publisher = redis.asyncio.from_url(REDIS_URL, decode_responses=True)
    async with _following(channel) as notices:
        for garbage in ("not json", "[1]", '{"version": 7}', '{"replica": "x"}'):
            await publisher.publish(channel.channel, garbage)
        await publisher.publish(channel.channel, '{"version": "v3", "replica": "elsewhere"}')
        with anyio.fail_after(5):
            assert await notices.receive() == "v3"
    await publisher.aclose()


async def test_a_dropped_subscription_resubscribes_and_asks_for_a_catch_up_reload(redis_prefix: str) -> None:
    name = f"authz-mcp-test-{uuid.uuid4().hex[:12]}"
    channel = _channel(redis_prefix, name)
    admin = redis.asyncio.from_url(REDIS_URL, decode_responses=True)
    async with _following(channel) as notices:
        # Only this test's own connection: other processes share this Redis.
        ours = [client for client in await admin.client_list() if client.get("name") == name]
        assert ours
        for client in ours:
            await admin.client_kill_filter(_id=client["id"])
        with anyio.fail_after(10):
            assert await notices.receive() is None
        await admin.publish(channel.channel, '{"version": "v4", "replica": "elsewhere"}')
        with anyio.fail_after(5):
            assert await notices.receive() == "v4"
    await admin.aclose()

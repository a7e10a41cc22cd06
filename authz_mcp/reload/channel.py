"""Policy-change notices between replicas, over Redis pub/sub (DESIGN §6).

A notice carries the new policy version and the sending replica's id, never the
policy text: each replica reloads from its own files. The files stay the one
source of truth (reviewed, versioned, what a restarted replica loads), and write
access to Redis does not become a way to change who may do what. A replica whose
files give another version than the one announced logs it and reports
`converged: false` in `/readyz` until its files catch up.

Pub/sub delivers only to connected subscribers, so after every (re)subscription
the replica reloads once from its files: a notice missed while Redis was
unreachable is made up for then.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable

import anyio
import redis.asyncio
from anyio.abc import TaskStatus
from redis.exceptions import RedisError

from authz_mcp.config import StoreConfig
from authz_mcp.config.redis_urls import is_redis
from authz_mcp.store.redis import connect

logger = logging.getLogger(__name__)

_IDLE_SECONDS = 30.0
"""How long a subscriber waits for a message before checking the connection is alive."""
_MAX_BACKOFF_SECONDS = 5.0

OnNotice = Callable[[str | None], Awaitable[None]]
"""Called with the announced version, or None after a (re)subscription."""


class PolicyChannel:
    """Takes ownership of `client`: `aclose` closes it."""

    def __init__(self, client: redis.asyncio.Redis, channel: str) -> None:
        self._client = client
        self.channel = channel
        self.replica = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"

    @classmethod
    def open(cls, config: StoreConfig) -> PolicyChannel | None:
        """The channel of the Redis store `config` names; None for a single-process store."""
        if not is_redis(config.url):
            return None
        client = connect(config.url, health_check_seconds=int(_IDLE_SECONDS))
        return cls(client, f"{config.key_prefix}policy-changed")

    async def aclose(self) -> None:
        await self._client.aclose()

    async def publish(self, version: str) -> None:
        notice = json.dumps({"version": version, "replica": self.replica})
        try:
            await self._client.publish(self.channel, notice)
        except (RedisError, OSError) as exc:
            # The others still follow their own files, and reload when they resubscribe.
            logger.warning("policy: cannot announce version %s to the other replicas (%s)", version, exc)

    async def listen(
        self, on_notice: OnNotice, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Follow other replicas' notices until cancelled, resubscribing after failures.

        Startup waits for the first subscription (or its failure), so a change made
        once the gateway is ready is not missed.
        """
        started = False
        failures = 0
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    if started:
                        await on_notice(None)
                    else:
                        task_status.started()
                        started = True
                    if failures:
                        logger.info("policy: following other replicas again")
                    failures = 0
                    await self._receive(pubsub, on_notice)
            except (RedisError, OSError) as exc:
                if not started:
                    task_status.started()
                    started = True
                if not failures:
                    logger.warning("policy: lost the replicas' channel (%s); retrying", exc)
                failures += 1
                await anyio.sleep(min(_MAX_BACKOFF_SECONDS, 0.1 * 2**failures))

    async def _receive(self, pubsub: redis.asyncio.client.PubSub, on_notice: OnNotice) -> None:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=_IDLE_SECONDS)
            if message is None:
                continue
            version = _announced_version(message.get("data"), self.replica)
            if version is not None:
                await on_notice(version)


def _announced_version(data: object, own_replica: str) -> str | None:
    """The version in another replica's notice; None for our own or a malformed one."""
    try:
        notice = json.loads(data) if isinstance(data, str) else None
    except ValueError:
        notice = None
    if not isinstance(notice, dict) or not isinstance(notice.get("version"), str):
        logger.warning("policy: ignoring a malformed notice on the replicas' channel")
        return None
    if notice.get("replica") == own_replica:
        return None
    return str(notice["version"])

"""What makes the running gateway follow policy changes: file watch, SIGHUP, other replicas."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import TYPE_CHECKING

import anyio
from anyio.abc import TaskStatus

from authz_mcp.config import Config, StoreConfig
from authz_mcp.config.redis_urls import is_redis
from authz_mcp.proxy.gateway import Gateway
from authz_mcp.reload.reloader import PolicyReloader, ReloadStatus
from authz_mcp.reload.watcher import watch_files

if TYPE_CHECKING:
    from authz_mcp.reload.channel import PolicyChannel

logger = logging.getLogger(__name__)


@asynccontextmanager
async def policy_lifecycle(config: Config, gateway: Gateway) -> AsyncIterator[ReloadStatus]:
    """Keep `gateway.policy` following its files while the context is open.

    Each follower runs as its own task; one that fails is logged and stops,
    while the gateway keeps serving the policy it has.
    """
    reloader = PolicyReloader(config.policy, gateway, list(config.upstreams))
    channel = _replica_channel(config.store)
    try:
        async with anyio.create_task_group() as group:
            if channel is not None:
                reloader.announce = channel.publish
                await group.start(_guarded, "replica channel", partial(channel.listen, reloader.follow))
            if config.policy.watch:
                watch = partial(
                    watch_files,
                    (config.policy.model, config.policy.file),
                    partial(reloader.reload, "file change"),
                    debounce_ms=config.policy.debounce_ms,
                )
                await group.start(_guarded, "file watch", watch)
            if threading.current_thread() is threading.main_thread():
                await group.start(_guarded, "SIGHUP", partial(_reload_on_sighup, reloader))
            # An edit made between the first load and the start of watching is caught here.
            await reloader.reload("file change")
            yield reloader.status
            group.cancel_scope.cancel()
    finally:
        if channel is not None:
            with anyio.CancelScope(shield=True):
                await channel.aclose()


def _replica_channel(store: StoreConfig) -> PolicyChannel | None:
    """The other replicas' channel; None for a single-process store."""
    if not is_redis(store.url):
        return None
    # Imported here: only a Redis store needs the Redis client, a quarter of a second of CPU.
    from authz_mcp.reload.channel import PolicyChannel

    return PolicyChannel.open(store)


async def _reload_on_sighup(
    reloader: PolicyReloader, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
) -> None:
    with anyio.open_signal_receiver(signal.SIGHUP) as signals:
        task_status.started()
        async for _ in signals:
            await reloader.reload("SIGHUP")


async def _guarded(
    name: str,
    follower: Callable[..., Awaitable[None]],
    *,
    task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    status = _StartedOnce(task_status)
    try:
        await follower(task_status=status)
    except Exception:  # boundary: a broken follower must not take the gateway down
        logger.exception("policy: %s stopped; the current policy stays in force", name)
        status.started()


class _StartedOnce(TaskStatus[None]):
    """Lets the guard release a startup that is waiting on a follower that failed early."""

    def __init__(self, status: TaskStatus[None]) -> None:
        self._status = status
        self._done = False

    def started(self, value: None = None) -> None:
        if not self._done:
            self._done = True
            self._status.started()

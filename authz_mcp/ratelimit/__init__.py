"""Rate limits per user, per user and tool pattern, and per upstream (the `limits` library).

Counted with a moving window, in this process for `memory://` and `sqlite://` stores, or in
the Redis store so that every replica draws on the same allowance. A store that cannot be
reached refuses the request (503): no limit is skipped because it could not be counted.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from limits import RateLimitItem, parse
from limits.aio.storage import (
    MemoryStorage,
    RedisClusterStorage,
    RedisSentinelStorage,
    RedisStorage,
    Storage,
)
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from authz_mcp.config import StoreConfig
from authz_mcp.config.operations import LimitsConfig
from authz_mcp.config.redis_urls import CLUSTER_SCHEME, SENTINEL_SCHEME, parse_sentinel_url
from authz_mcp.errors import RateLimited, StoreUnavailable
from authz_mcp.policy.keymatch import KeyPattern


@dataclass(frozen=True)
class Refusal:
    """Which limit refused a request, for the audit line and the metric."""

    limit: str
    """per_user, tool or upstream."""
    rule: str
    """The configured rule: `per_user 600/minute`, `tool github/tools/create_* 10/minute`."""
    error: RateLimited


class RateLimits:
    def __init__(self, config: LimitsConfig, store: StoreConfig) -> None:
        self._per_user = parse(config.per_user) if config.per_user else None
        self._tools = [(KeyPattern.compile(pattern), parse(rate)) for pattern, rate in config.tools.items()]
        self._upstreams = {name: parse(rate) for name, rate in config.upstreams.items()}
        self.enabled = bool(self._per_user or self._tools or self._upstreams)
        self._storage = _storage(store) if self.enabled else None
        self._limiter = MovingWindowRateLimiter(self._storage) if self._storage is not None else None

    async def check_user(self, user_key: str) -> Refusal | None:
        """Every HTTP request of the user counts against `per_user`."""
        if self._per_user is None:
            return None
        return await self._hit(
            self._per_user, "per_user", f"per_user {self._per_user}", "user", _id(user_key)
        )

    async def check_forward(
        self, user_key: str, upstream: str, method: str, name: str | None
    ) -> Refusal | None:
        """A request about to go upstream: the user's tool limits, then the upstream's."""
        if method == "tools/call" and name is not None:
            obj = f"{upstream}/tools/{name}"
            for pattern, item in self._tools:
                if pattern.matches(obj):
                    rule = f"tool {pattern.text} {item}"
                    refusal = await self._hit(item, "tool", rule, "tool", pattern.text, _id(user_key))
                    if refusal is not None:
                        return refusal
        shared = self._upstreams.get(upstream)
        if shared is not None:
            return await self._hit(shared, "upstream", f"upstream {upstream} {shared}", "upstream", upstream)
        return None

    async def _hit(self, item: RateLimitItem, limit: str, rule: str, *ids: str) -> Refusal | None:
        assert self._limiter is not None
        try:
            if await self._limiter.hit(item, *ids):
                return None
            stats = await self._limiter.get_window_stats(item, *ids)
        except StorageError as exc:
            raise StoreUnavailable() from exc
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        return Refusal(limit, rule, RateLimited(retry_after))


def _id(user_key: str) -> str:
    """User ids stay out of the store's key names."""
    return hashlib.sha256(user_key.encode()).hexdigest()[:32]


def _storage(store: StoreConfig) -> Storage:
    parts = urlsplit(store.url)
    prefix = f"{store.key_prefix}limits"
    if parts.scheme == SENTINEL_SCHEME:
        sentinel = parse_sentinel_url(store.url)
        hosts = ",".join(f"{host}:{port}" for host, port in sentinel.sentinels)
        return RedisSentinelStorage(
            f"async+redis+sentinel://{hosts}",
            wrap_exceptions=True,
            implementation="redispy",
            key_prefix=prefix,
            service_name=sentinel.master,
            use_replicas=False,
            socket_timeout=2.0,
            socket_connect_timeout=2.0,
            # An empty password sends no AUTH (redis-py authenticates only with a password).
            password=sentinel.password or "",
        )
    if parts.scheme == CLUSTER_SCHEME:
        return RedisClusterStorage(
            f"async+{store.url}", wrap_exceptions=True, implementation="redispy", key_prefix=prefix
        )
    if parts.scheme in ("redis", "rediss"):
        return RedisStorage(
            f"async+{store.url}",
            wrap_exceptions=True,
            implementation="redispy",
            key_prefix=prefix,
            socket_timeout=2.0,
            socket_connect_timeout=2.0,
        )
    return MemoryStorage(wrap_exceptions=True)

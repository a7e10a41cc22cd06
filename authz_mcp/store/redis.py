"""The one way the gateway connects to Redis, and the one place its errors become 503s."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast
from urllib.parse import unquote, urlsplit

import redis.asyncio
from redis.asyncio.cluster import ClusterNode
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import EqualJitterBackoff, ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from authz_mcp.config.redis_urls import (
    CLUSTER_SCHEME,
    SENTINEL_SCHEME,
    SentinelUrl,
    cluster_nodes,
    parse_sentinel_url,
)
from authz_mcp.errors import StoreUnavailable

logger = logging.getLogger(__name__)

# Bounds how long a request waits on a dead Redis before it gets its 503.
SOCKET_TIMEOUT_SECONDS = 2.0
HEALTH_CHECK_SECONDS = 30

# Sentinel: what a request waits for while the sentinels elect a new master (down-after plus the
# failover itself), so that a failover costs requests time rather than failures. Half of each
# delay is fixed, so ten retries wait 4.2 to 8.4 s in all: with full jitter an unlucky request
# could give up in under two seconds, before any failover had finished.
_FAILOVER_RETRY = Retry(EqualJitterBackoff(cap=1.0, base=0.1), retries=10)


def connect(url: str, *, health_check_seconds: int = HEALTH_CHECK_SECONDS) -> redis.asyncio.Redis:
    """A client for `url`: redis://, rediss://, redis+sentinel:// or redis+cluster://.
    Nothing is sent until the first call."""
    scheme = urlsplit(url).scheme
    if scheme == SENTINEL_SCHEME:
        return _sentinel_master(parse_sentinel_url(url), health_check_seconds)
    if scheme == CLUSTER_SCHEME:
        return _cluster(url, health_check_seconds)
    client: redis.asyncio.Redis = redis.asyncio.from_url(
        url,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        health_check_interval=health_check_seconds,
        # One quick retry replaces a pooled connection that died with a Redis restart;
        # more would only delay the 503 during a real outage.
        retry=Retry(ExponentialWithJitterBackoff(cap=0.5, base=0.05), retries=1),
        decode_responses=True,
    )
    return client


def _sentinel_master(parsed: SentinelUrl, health_check_seconds: int) -> redis.asyncio.Redis:
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        list(parsed.sentinels),
        sentinel_kwargs={
            "socket_connect_timeout": SOCKET_TIMEOUT_SECONDS,
            "socket_timeout": SOCKET_TIMEOUT_SECONDS,
            "password": parsed.sentinel_password,
        },
    )
    client: redis.asyncio.Redis = sentinel.master_for(
        parsed.master,
        db=parsed.db,
        password=parsed.password,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        health_check_interval=health_check_seconds,
        retry=_FAILOVER_RETRY,
        retry_on_error=[RedisConnectionError, RedisTimeoutError, ReadOnlyError],
        decode_responses=True,
    )
    return client


def _cluster(url: str, health_check_seconds: int) -> redis.asyncio.Redis:
    parts = urlsplit(url)
    cluster = redis.asyncio.RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in cluster_nodes(url)],
        password=unquote(parts.password) if parts.password else None,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        health_check_interval=health_check_seconds,
        retry=Retry(ExponentialWithJitterBackoff(cap=0.5, base=0.05), retries=3),
        decode_responses=True,
    )
    # RedisCluster serves the part of the Redis API the stores use (one-key commands, scripts,
    # pipelines on keys that share a hash tag): the store contract suites run against it.
    return cast(redis.asyncio.Redis, cluster)


@contextmanager
def translated(store: str, operation: str) -> Iterator[None]:
    """The boundary where redis-py errors become StoreUnavailable (503)."""
    try:
        yield
    except RedisError as exc:
        logger.warning("%s store %s failed: %s: %s", store, operation, type(exc).__name__, exc)
        raise StoreUnavailable() from exc


def text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value

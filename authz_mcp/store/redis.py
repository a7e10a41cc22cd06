"""The one way the gateway connects to Redis, and the one place its errors become 503s."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import RedisError

from authz_mcp.errors import StoreUnavailable

logger = logging.getLogger(__name__)

# Bounds how long a request waits on a dead Redis before it gets its 503.
SOCKET_TIMEOUT_SECONDS = 2.0
HEALTH_CHECK_SECONDS = 30


def connect(url: str, *, health_check_seconds: int = HEALTH_CHECK_SECONDS) -> redis.asyncio.Redis:
    """A client for `url` (redis:// or rediss://). Nothing is sent until the first call."""
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

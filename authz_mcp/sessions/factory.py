"""Open the session store the config names (DESIGN §6)."""

from __future__ import annotations

from urllib.parse import urlsplit

import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff

from authz_mcp.config.model import StoreConfig
from authz_mcp.sessions.memory import MemorySessionStore
from authz_mcp.sessions.redis import RedisSessionStore
from authz_mcp.sessions.store import SessionStore

# Bounds how long a request waits on a dead Redis before it gets its 503.
_SOCKET_TIMEOUT_SECONDS = 2.0
_HEALTH_CHECK_SECONDS = 30


def open_session_store(config: StoreConfig, *, idle_seconds: int) -> SessionStore:
    """The session store for `config.url`.

    - `memory://`: sessions in this process.
    - `redis://`, `rediss://`: sessions in Redis under `config.key_prefix`, so any
      replica can serve any session. Nothing is sent until the first call; use
      `ping()` to check the connection.
    - `sqlite:///...`: sessions stay in memory. Sessions are ephemeral (a client
      re-initializes after a 404), so a single-machine deployment gains nothing
      by writing them to disk; the sqlite file holds what must survive a
      restart, such as personal access tokens and revocations.
    """
    scheme = urlsplit(config.url).scheme
    if scheme in ("memory", "sqlite"):
        return MemorySessionStore(idle_seconds)
    if scheme in ("redis", "rediss"):
        client = redis.asyncio.from_url(
            config.url,
            socket_connect_timeout=_SOCKET_TIMEOUT_SECONDS,
            socket_timeout=_SOCKET_TIMEOUT_SECONDS,
            health_check_interval=_HEALTH_CHECK_SECONDS,
            # One quick retry replaces a pooled connection that died with a Redis
            # restart; more would only delay the 503 during a real outage.
            retry=Retry(ExponentialWithJitterBackoff(cap=0.5, base=0.05), retries=1),
            decode_responses=True,
        )
        return RedisSessionStore(client, key_prefix=config.key_prefix, idle_seconds=idle_seconds)
    raise ValueError(f"unsupported store URL scheme {scheme!r}")

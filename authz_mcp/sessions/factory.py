"""Open the session store the config names (DESIGN §6)."""

from __future__ import annotations

from urllib.parse import urlsplit

from authz_mcp.config.model import StoreConfig
from authz_mcp.config.redis_urls import is_redis
from authz_mcp.sessions.memory import MemorySessionStore
from authz_mcp.sessions.store import SessionStore


def open_session_store(config: StoreConfig, *, idle_seconds: int) -> SessionStore:
    """The session store for `config.url`.

    - `memory://`: sessions in this process.
    - `redis://`, `rediss://`, `redis+sentinel://`, `redis+cluster://`: sessions in Redis
      under `config.key_prefix`, so any replica can serve any session. Nothing is sent until
      the first call; use `ping()` to check the connection.
    - `sqlite:///...`: sessions stay in memory. Sessions are ephemeral (a client
      re-initializes after a 404), so a single-machine deployment gains nothing
      by writing them to disk; the sqlite file holds what must survive a
      restart, such as personal access tokens and revocations.
    """
    scheme = urlsplit(config.url).scheme
    if scheme in ("memory", "sqlite"):
        return MemorySessionStore(idle_seconds)
    if is_redis(config.url):
        # Imported here: the Redis client costs every process start a quarter of a second
        # of CPU, and only a Redis store needs it.
        from authz_mcp.sessions.redis import RedisSessionStore
        from authz_mcp.store.redis import connect

        client = connect(config.url)
        return RedisSessionStore(client, key_prefix=config.key_prefix, idle_seconds=idle_seconds)
    raise ValueError(f"unsupported store URL scheme {scheme!r}")

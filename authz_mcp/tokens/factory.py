"""Open the token store the config names (DESIGN §6)."""

from __future__ import annotations

from urllib.parse import urlsplit

from authz_mcp.config.model import StoreConfig
from authz_mcp.config.redis_urls import is_redis
from authz_mcp.errors import ConfigError
from authz_mcp.tokens.memory import MemoryTokenStore
from authz_mcp.tokens.sqlite import SqliteTokenStore
from authz_mcp.tokens.store import TokenStore


def open_token_store(config: StoreConfig) -> TokenStore:
    """The token store for `config.url`.

    - `memory://`: tokens live and die with this process.
    - `sqlite:///path/state.db`: tokens in that file (an absolute path), kept across restarts
      and shared with `authz-mcp token` commands on the same machine.
    - `redis://`, `rediss://`, `redis+sentinel://`, `redis+cluster://`: tokens in Redis under
      `config.key_prefix`, seen by every replica.
    """
    parts = urlsplit(config.url)
    if parts.scheme == "memory":
        return MemoryTokenStore()
    if parts.scheme == "sqlite":
        return SqliteTokenStore(sqlite_path(config.url))
    if is_redis(config.url):
        # Imported here, as in `open_session_store`: only a Redis store needs the client.
        from authz_mcp.store.redis import connect
        from authz_mcp.tokens.redis import RedisTokenStore

        # No hash tag, in a cluster either: every command touches one key, so each token's keys
        # spread over the masters like the sessions do, rather than the whole store in one slot.
        return RedisTokenStore(connect(config.url), key_prefix=config.key_prefix)
    raise ConfigError(f"store.url: unsupported scheme {parts.scheme!r}")


def sqlite_path(url: str) -> str:
    """The file of `sqlite:///abs/path.db` (SQLAlchemy's `sqlite:////abs/path.db` works too)."""
    parts = urlsplit(url)
    path = parts.path
    if parts.netloc or not path.startswith("/") or path.rstrip("/") == "":
        raise ConfigError(f"store.url: {url!r} must name an absolute path: sqlite:///path/to/state.db")
    return "/" + path.lstrip("/")

"""Fixtures for the personal token tests: one store harness per implementation, and a real
gateway process with tokens in a SQLite file.

SQLite uses a real file in the test's tmp_path; Redis the shared test Redis with a key prefix
of the test's own, deleted afterwards (skipped with a reason when Redis does not answer).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio

from authz_mcp.config import StoreConfig
from authz_mcp.tokens import MemoryTokenStore, SqliteTokenStore, TokenStore
from authz_mcp.tokens.factory import open_token_store
from authz_mcp.tokens.redis import RedisTokenStore
from tests.sessions.conftest import RedisSpace, open_redis_space, open_space_at
from tests.support.gateway import GatewayProcess, free_port, gateway_config, running_gateway
from tests.support.issuer import RunningIssuer
from tests.support.redis import REDIS_URL
from tests.support.upstreams import PROJECT_ROOT, demo_stdio_command


@dataclass(slots=True)
class TokenStoreHarness:
    store: TokenStore
    dump: Callable[[], Awaitable[str]]
    """Everything the store holds, as text (the raw file for SQLite)."""
    reopen: Callable[[], TokenStore] | None = None
    """A new store on the same data, as after a restart (None: nothing survives)."""


def memory_harness() -> TokenStoreHarness:
    store = MemoryTokenStore()

    async def dump() -> str:
        return repr(store._by_id) + repr(store._ids_by_hash)

    return TokenStoreHarness(store, dump)


def sqlite_harness(path: Path) -> TokenStoreHarness:
    store = SqliteTokenStore(str(path))

    async def dump() -> str:
        # Everything in the database file and its write-ahead log, byte for byte.
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA wal_checkpoint(FULL)")
        files = [path, path.with_name(path.name + "-wal")]
        return "".join(f.read_bytes().decode("latin-1") for f in files if f.exists())

    return TokenStoreHarness(store, dump, reopen=lambda: SqliteTokenStore(str(path)))


def redis_harness(space: RedisSpace, url: str | None = None) -> TokenStoreHarness:
    """On the shared test Redis, or opened as the gateway opens the store at `url`."""

    def connect() -> TokenStore:
        if url is not None:
            return open_token_store(StoreConfig(url=url, key_prefix=space.prefix))
        return RedisTokenStore(
            redis.asyncio.from_url(REDIS_URL, decode_responses=True), key_prefix=space.prefix
        )

    async def dump() -> str:
        texts: list[str] = []
        for key in await space.keys():
            kind = await space.admin.type(key)
            if kind == "hash":
                texts += [key, *map(str, (await space.admin.hgetall(key)).items())]
            elif kind == "zset":
                texts += [key, *map(str, await space.admin.zrange(key, 0, -1))]
            else:
                texts += [key, str(await space.admin.get(key))]
        return "\n".join(texts)

    return TokenStoreHarness(connect(), dump, reopen=connect)


@pytest.fixture(params=["memory", "sqlite", "redis", "sentinel", "cluster"])
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[TokenStoreHarness]:
    async with AsyncExitStack() as stack:
        if request.param == "memory":
            made = memory_harness()
        elif request.param == "sqlite":
            made = sqlite_harness(tmp_path / "state.db")
        elif request.param in ("sentinel", "cluster"):
            url = request.getfixturevalue(f"redis_{request.param}").url
            made = redis_harness(await stack.enter_async_context(open_space_at(url)), url)
        else:
            made = redis_harness(await stack.enter_async_context(open_redis_space()))
        stack.push_async_callback(made.store.aclose)
        yield made


# --- a real gateway process with personal tokens in a SQLite file ------------------------------
#
# One for the whole folder (test_api, test_gateway_use, test_websocket_revocation): each test
# creates its own tokens and looks only at those, and together they hold a handful of active
# tokens per user, far below `max_per_user`.

POLICY = Path(__file__).with_name("policy.csv")


@dataclass(frozen=True)
class PatGateway:
    process: GatewayProcess
    config_path: Path
    issuer: RunningIssuer
    public_mcp_url: str | None = None
    """The canonical MCP URL (tokens' audience) when `server.public_url` is set."""

    @property
    def url(self) -> str:
        return self.process.url

    @property
    def api(self) -> str:
        return f"{self.process.base_url}/api/tokens"

    def jwt(self, subject: str, **options: Any) -> str:
        return self.issuer.issuer.mint(subject, audience=self.public_mcp_url or self.url, **options)


def pat_gateway_config(tmp_path: Path, issuer: RunningIssuer, port: int, **sections: Any) -> dict[str, Any]:
    command, args = demo_stdio_command()
    return gateway_config(
        tmp_path,
        port=port,
        issuer_url=issuer.url,
        upstreams={"demo": {"transport": "stdio", "command": command, "args": args, "cwd": PROJECT_ROOT}},
        policy={"file": str(POLICY)},
        **{
            "auth": {"personal_tokens": True, "pat": {"max_lifetime_days": 90, "max_per_user": 20}},
            **sections,
        },
    )


@pytest.fixture(scope="package")
def pat_gateway(issuer: RunningIssuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PatGateway]:
    tmp_path = tmp_path_factory.mktemp("pat-gateway")
    port = free_port()
    config = pat_gateway_config(tmp_path, issuer, port, store={"url": f"sqlite:///{tmp_path}/state.db"})
    with running_gateway(config, tmp_path) as process:
        yield PatGateway(process, tmp_path / f"gateway-{port}.yaml", issuer)
    # No input may produce a 500 or a traceback (DESIGN §7), and no token is ever logged.
    assert not [line for line in process.log if "Traceback" in line or "unhandled error" in line]
    logged = "\n".join(process.log) + process.audit_path.read_text(encoding="utf-8")
    assert "amcp_" not in logged

"""The rules shared by `token create` and the API: owners, scopes, lifetimes, limits."""

from __future__ import annotations

import pytest

from authz_mcp.config import parse_config
from authz_mcp.config.model import PersonalTokenConfig
from authz_mcp.errors import ConfigError, InvalidTokenRequest, TokenLimitReached, TokenNotFound
from authz_mcp.tokens import MemoryTokenStore, TokenService

DAY = 86_400


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def service(clock: Clock | None = None, **settings: int) -> TokenService:
    clock = clock or Clock()
    return TokenService(MemoryTokenStore(clock), PersonalTokenConfig(**settings), clock)  # type: ignore[arg-type]


async def test_token_gets_the_default_lifetime() -> None:
    clock = Clock()
    issued = await service(clock, default_lifetime_days=7).create(owner="alice", created_by="cli")

    assert issued.record.expires_at == clock.now + 7 * DAY
    assert issued.record.scopes is None


async def test_lifetime_beyond_the_maximum_is_refused() -> None:
    tokens = service(max_lifetime_days=30)

    with pytest.raises(InvalidTokenRequest):
        await tokens.create(owner="alice", created_by="alice", lifetime_seconds=31 * DAY)
    issued = await tokens.create(owner="alice", created_by="alice", lifetime_seconds=30 * DAY)
    assert issued.record.expires_at - issued.record.created_at == 30 * DAY


@pytest.mark.parametrize("seconds", [0, 59, -5])
async def test_lifetime_under_a_minute_is_refused(seconds: int) -> None:
    with pytest.raises(InvalidTokenRequest):
        await service().create(owner="alice", created_by="alice", lifetime_seconds=seconds)


@pytest.mark.parametrize(
    "scopes",
    [[], ["demo/*/echo"], [""], ["*x"], ["demo/tools/\x00"], ["demo/tools/a"] * 51],
    ids=["empty", "inner-star", "empty-pattern", "star-first", "control-char", "too-many"],
)
async def test_invalid_scopes_are_refused(scopes: list[str]) -> None:
    with pytest.raises(InvalidTokenRequest):
        await service().create(owner="alice", created_by="alice", scopes=scopes)


async def test_scopes_are_kept_in_order_without_duplicates() -> None:
    issued = await service().create(
        owner="alice", created_by="alice", scopes=["demo/tools/echo", "*", "demo/tools/echo"]
    )

    assert issued.record.scopes == ("demo/tools/echo", "*")


@pytest.mark.parametrize("owner", ["", " alice", "group:eng", "role:admin", "a\nb", "x" * 257])
async def test_owner_must_be_a_plain_user_id(owner: str) -> None:
    with pytest.raises(InvalidTokenRequest):
        await service().create(owner=owner, created_by="cli")


async def test_active_tokens_per_user_are_limited() -> None:
    clock = Clock()
    tokens = service(clock, max_per_user=2)
    first = await tokens.create(owner="alice", created_by="alice", lifetime_seconds=3600)
    await tokens.create(owner="alice", created_by="alice")

    with pytest.raises(TokenLimitReached):
        await tokens.create(owner="alice", created_by="alice")
    await tokens.create(owner="bob", created_by="bob")

    await tokens.revoke(first.record.token_id, "alice")
    await tokens.create(owner="alice", created_by="alice")


async def test_another_users_token_is_not_found() -> None:
    tokens = service()
    issued = await tokens.create(owner="alice", created_by="alice")

    with pytest.raises(TokenNotFound):
        await tokens.revoke(issued.record.token_id, "bob")
    with pytest.raises(TokenNotFound):
        await tokens.get(issued.record.token_id, "bob")
    assert (await tokens.get(issued.record.token_id, "alice")).revoked_at is None


async def test_revoking_twice_keeps_the_first_revocation() -> None:
    clock = Clock()
    tokens = service(clock)
    issued = await tokens.create(owner="alice", created_by="alice")

    first = await tokens.revoke(issued.record.token_id, None)
    clock.now += 60
    second = await tokens.revoke(issued.record.token_id, None)

    assert first.revoked_at == second.revoked_at == 1_800_000_000.0


async def test_a_held_token_finds_its_record() -> None:
    tokens = service()
    issued = await tokens.create(owner="alice", created_by="alice")

    assert await tokens.find_by_token(issued.token) == issued.record
    with pytest.raises(TokenNotFound):
        await tokens.find_by_token("amcp_" + "A" * 43)


def test_default_lifetime_beyond_the_maximum_is_a_config_error() -> None:
    auth = {"personal_tokens": True, "pat": {"default_lifetime_days": 60, "max_lifetime_days": 30}}

    with pytest.raises(ConfigError, match=r"auth\.pat"):
        parse_config({"auth": auth})

"""Personal token verification: the owner's identity, narrowed; never cached."""

from __future__ import annotations

import pytest

from authz_mcp.auth.identity import Identity
from authz_mcp.config.model import PersonalTokenConfig
from authz_mcp.errors import InvalidToken
from authz_mcp.tokens import MemoryTokenStore, PatVerifier, TokenService
from authz_mcp.tokens.verifier import LAST_USED_RESOLUTION_SECONDS


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tokens(clock: Clock) -> TokenService:
    return TokenService(MemoryTokenStore(clock), PersonalTokenConfig(), clock)


async def test_token_yields_its_owner_narrowed_by_its_scopes(tokens: TokenService, clock: Clock) -> None:
    issued = await tokens.create(
        owner="alice", created_by="alice", scopes=["demo/tools/*"], lifetime_seconds=600
    )

    identity = await PatVerifier(tokens.store, clock)(issued.token)

    assert identity == Identity(
        subject="alice", issuer="pat", groups=(), scopes=("demo/tools/*",), expires_at=clock.now + 600
    )


async def test_revoked_token_is_refused_on_the_next_use(tokens: TokenService, clock: Clock) -> None:
    issued = await tokens.create(owner="alice", created_by="alice")
    verify = PatVerifier(tokens.store, clock)
    await verify(issued.token)

    await tokens.revoke(issued.record.token_id, None)

    with pytest.raises(InvalidToken):
        await verify(issued.token)


async def test_expired_token_is_refused(tokens: TokenService, clock: Clock) -> None:
    issued = await tokens.create(owner="alice", created_by="alice", lifetime_seconds=600)
    verify = PatVerifier(tokens.store, clock)

    clock.now += 600

    with pytest.raises(InvalidToken):
        await verify(issued.token)


@pytest.mark.parametrize("token", ["amcp_short", "amcp_" + "A" * 43, "amcp_" + "A" * 42 + "!"])
async def test_unknown_or_malformed_token_is_refused(tokens: TokenService, clock: Clock, token: str) -> None:
    await tokens.create(owner="alice", created_by="alice")

    with pytest.raises(InvalidToken):
        await PatVerifier(tokens.store, clock)(token)


async def test_last_use_is_recorded_once_a_minute(tokens: TokenService, clock: Clock) -> None:
    issued = await tokens.create(owner="alice", created_by="alice")
    verify = PatVerifier(tokens.store, clock)
    used_at = clock.now

    await verify(issued.token)
    clock.now += LAST_USED_RESOLUTION_SECONDS - 1
    await verify(issued.token)
    assert (await tokens.get(issued.record.token_id, None)).last_used_at == used_at

    clock.now += 1
    await verify(issued.token)
    assert (await tokens.get(issued.record.token_id, None)).last_used_at == clock.now

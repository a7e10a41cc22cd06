"""The JWKS cache against a real served key set: rotation, rate limiting, failures."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from authz_mcp.auth.jwks import JwksCache
from authz_mcp.auth.jwt import JwtVerifier
from authz_mcp.config.model import JwtIssuerConfig
from authz_mcp.errors import InvalidToken
from tests.auth.conftest import AUDIENCE
from tests.support.issuer import RunningIssuer


class Clock:
    """A monotonic clock the test moves by hand, so that no test waits for real time."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def verifier_for(idp: RunningIssuer, jwks: JwksCache) -> JwtVerifier:
    return JwtVerifier(JwtIssuerConfig(issuer=idp.issuer.issuer_url), AUDIENCE, jwks)


async def test_keys_are_fetched_once_and_cached(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    jwks = JwksCache(idp.jwks_url, http)

    for _ in range(5):
        await jwks.get_key(idp.issuer.kid)

    assert idp.issuer.jwks_requests == 1


async def test_unknown_kid_refetch_picks_up_a_rotated_key(
    idp: RunningIssuer, http: httpx.AsyncClient
) -> None:
    clock = Clock()
    verifier = verifier_for(idp, JwksCache(idp.jwks_url, http, clock=clock))
    await verifier.verify(idp.issuer.mint("alice", audience=AUDIENCE))

    idp.issuer.rotate(keep_old=False)
    clock.now += 31
    identity = await verifier.verify(idp.issuer.mint("bob", audience=AUDIENCE))

    assert identity.subject == "bob"
    assert idp.issuer.jwks_requests == 2


async def test_refetch_on_unknown_kid_is_rate_limited(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    clock = Clock()
    jwks = JwksCache(idp.jwks_url, http, min_refetch_interval=30.0, clock=clock)
    await jwks.get_key(idp.issuer.kid)

    for attempt in range(10):
        with pytest.raises(InvalidToken):
            await jwks.get_key(f"junk-{attempt}")
    assert idp.issuer.jwks_requests == 1

    clock.now += 30
    with pytest.raises(InvalidToken):
        await jwks.get_key("junk-after-interval")
    assert idp.issuer.jwks_requests == 2


async def test_concurrent_misses_share_one_fetch(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    jwks = JwksCache(idp.jwks_url, http, min_refetch_interval=0.0)

    keys = await asyncio.gather(*(jwks.get_key(idp.issuer.kid) for _ in range(20)))

    assert {key.key_id for key in keys} == {idp.issuer.kid}
    assert idp.issuer.jwks_requests == 1


async def test_rotated_key_is_rejected_until_refetch_is_allowed(
    idp: RunningIssuer, http: httpx.AsyncClient
) -> None:
    clock = Clock()
    jwks = JwksCache(idp.jwks_url, http, clock=clock)
    await jwks.get_key(idp.issuer.kid)
    new_kid = idp.issuer.rotate()

    with pytest.raises(InvalidToken):
        await jwks.get_key(new_kid)
    clock.now += 30

    assert (await jwks.get_key(new_kid)).key_id == new_kid


async def test_keys_are_refreshed_after_max_age(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    clock = Clock()
    jwks = JwksCache(idp.jwks_url, http, max_age=600.0, clock=clock)
    old_kid = idp.issuer.kid
    await jwks.get_key(old_kid)
    idp.issuer.rotate(keep_old=False)

    clock.now += 600

    with pytest.raises(InvalidToken):
        await jwks.get_key(old_kid)
    assert idp.issuer.jwks_requests == 2


async def test_token_without_kid_uses_the_only_key(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    jwks = JwksCache(idp.jwks_url, http)

    assert (await jwks.get_key(None)).key_id == idp.issuer.kid


async def test_token_without_kid_is_rejected_when_there_are_several_keys(
    idp: RunningIssuer, http: httpx.AsyncClient
) -> None:
    idp.issuer.rotate(keep_old=True)
    jwks = JwksCache(idp.jwks_url, http)

    with pytest.raises(InvalidToken):
        await jwks.get_key(None)


async def test_unreachable_jwks_gives_invalid_token(http: httpx.AsyncClient) -> None:
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    jwks = JwksCache("http://127.0.0.1:1/jwks.json", http)

    with pytest.raises(InvalidToken):
        await jwks.get_key("any")


async def test_jwks_http_error_gives_invalid_token(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    jwks = JwksCache(f"{idp.url}/missing.json", http)

    with pytest.raises(InvalidToken):
        await jwks.get_key(idp.issuer.kid)


async def test_failed_refresh_keeps_the_keys_already_known(idp: RunningIssuer) -> None:
    # A transport swap, not a patch: first the real key set, then an outage.
    replies = [httpx.Response(200, json=idp.issuer.jwks()), httpx.Response(503)]
    transport = httpx.MockTransport(lambda request: replies.pop(0))
    clock = Clock()
    async with httpx.AsyncClient(transport=transport) as client:
        jwks = JwksCache("http://idp.test/jwks.json", client, clock=clock)
        await jwks.get_key(idp.issuer.kid)
        clock.now += 30

        with pytest.raises(InvalidToken):
            await jwks.get_key("rotated")
        assert (await jwks.get_key(idp.issuer.kid)).key_id == idp.issuer.kid
    assert replies == []


@pytest.mark.parametrize(
    "document",
    [
        {"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "k1"}]},
        {"keys": [{"kty": "RSA", "kid": "k1", "n": "AQAB", "e": "AQAB", "use": "enc"}]},
        {"keys": []},
        {"no": "keys"},
        ["not", "an", "object"],
    ],
)
async def test_unusable_key_sets_are_refused(document: object) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=json.dumps(document)))
    async with httpx.AsyncClient(transport=transport) as client:
        jwks = JwksCache("http://idp.test/jwks.json", client)

        with pytest.raises(InvalidToken):
            await jwks.get_key("k1")


async def test_jwks_url_is_discovered_from_the_issuer(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    jwks = JwksCache.from_issuer(idp.issuer.issuer_url, http)

    assert (await jwks.get_key(idp.issuer.kid)).key_id == idp.issuer.kid
    assert idp.issuer.jwks_requests == 1


async def test_discovery_naming_another_issuer_is_refused(
    idp: RunningIssuer, http: httpx.AsyncClient
) -> None:
    # The document at <idp.url>/.well-known/... names idp.url, not this made-up prefix.
    jwks = JwksCache.from_issuer(f"{idp.url}/", http)

    with pytest.raises(InvalidToken):
        await jwks.get_key(idp.issuer.kid)
    assert idp.issuer.jwks_requests == 0

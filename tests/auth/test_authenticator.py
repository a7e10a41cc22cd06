"""The Authorization header in, an Identity out: header forms, issuers, personal tokens, cache."""

from __future__ import annotations

import httpx
import pytest

from authz_mcp.auth.authenticator import Authenticator, VerifiedTokenCache, bearer_token
from authz_mcp.auth.identity import Identity
from authz_mcp.config.model import Config
from authz_mcp.errors import AuthenticationError, ConfigError, InvalidToken
from tests.auth.conftest import AUDIENCE, PUBLIC_URL, gateway_config
from tests.support.issuer import RunningIssuer, running_issuer


@pytest.mark.parametrize("header", [None, "", "   "])
async def test_request_without_credentials_is_unauthenticated(
    idp: RunningIssuer, http: httpx.AsyncClient, header: str | None
) -> None:
    authenticator = Authenticator(gateway_config(idp), http)

    with pytest.raises(AuthenticationError) as caught:
        await authenticator.authenticate(header)

    assert not caught.value.token_given
    assert not isinstance(caught.value, InvalidToken)


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Digest x", "Token abc"])
def test_other_authentication_schemes_count_as_no_credentials(header: str) -> None:
    # RFC 6750 §3.1: an unsupported authentication method gets a challenge without an error code.
    with pytest.raises(AuthenticationError) as caught:
        bearer_token(header)

    assert not caught.value.token_given


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Bearer a b", "Bearer a,b", "Bearer\ta", "Bearer =abc", "Bearer ä", " Bearer x"],
)
def test_malformed_bearer_header_is_an_invalid_token(header: str) -> None:
    with pytest.raises(InvalidToken):
        bearer_token(header)


def test_oversized_token_is_an_invalid_token() -> None:
    with pytest.raises(InvalidToken):
        bearer_token("Bearer " + "a" * 20_000)


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_bearer_scheme_is_case_insensitive(scheme: str) -> None:
    assert bearer_token(f"{scheme} abc.def-_~+/==") == "abc.def-_~+/=="


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "e30.e30.e30"])
async def test_bearer_value_that_is_not_a_jwt_is_rejected(
    idp: RunningIssuer, http: httpx.AsyncClient, token: str
) -> None:
    authenticator = Authenticator(gateway_config(idp), http)

    with pytest.raises(InvalidToken):
        await authenticator.authenticate(f"Bearer {token}")


async def test_each_configured_issuer_verifies_its_own_tokens(
    idp: RunningIssuer, http: httpx.AsyncClient
) -> None:
    with running_issuer() as other:
        authenticator = Authenticator(gateway_config(idp, other), http)

        first = await authenticator.authenticate(f"Bearer {idp.issuer.mint('alice', audience=AUDIENCE)}")
        second = await authenticator.authenticate(f"Bearer {other.issuer.mint('bob', audience=AUDIENCE)}")

    assert (first.subject, first.issuer) == ("alice", idp.issuer.issuer_url)
    assert (second.subject, second.issuer) == ("bob", other.issuer.issuer_url)


async def test_token_claiming_one_issuer_but_signed_by_another_is_rejected(
    idp: RunningIssuer, http: httpx.AsyncClient
) -> None:
    with running_issuer(kid=idp.issuer.kid) as other:
        authenticator = Authenticator(gateway_config(idp, other), http)
        forged = other.issuer.mint("alice", audience=AUDIENCE, extra_claims={"iss": idp.issuer.issuer_url})

        with pytest.raises(InvalidToken):
            await authenticator.authenticate(f"Bearer {forged}")


def test_issuer_configured_twice_is_a_config_error(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    config = gateway_config(idp, idp)

    with pytest.raises(ConfigError):
        Authenticator(config, http)


async def test_verified_token_is_served_from_cache(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    authenticator = Authenticator(gateway_config(idp), http)
    header = f"Bearer {idp.issuer.mint('alice', audience=AUDIENCE)}"

    identities = [await authenticator.authenticate(header) for _ in range(3)]

    assert identities[0] == identities[1] == identities[2]
    assert idp.issuer.jwks_requests == 1


async def test_personal_token_without_verifier_is_rejected(
    idp: RunningIssuer, http: httpx.AsyncClient
) -> None:
    authenticator = Authenticator(gateway_config(idp), http)

    with pytest.raises(InvalidToken):
        await authenticator.authenticate("Bearer amcp_0123456789abcdef")


async def test_personal_token_goes_to_the_pat_verifier(http: httpx.AsyncClient) -> None:
    seen: list[str] = []

    async def verify_pat(token: str) -> Identity:
        seen.append(token)
        return Identity("alice", issuer="pat", scopes=("fs/tools/*",))

    config = Config.model_validate({"server": {"public_url": PUBLIC_URL}, "auth": {"personal_tokens": True}})
    authenticator = Authenticator(config, http, pat_verifier=verify_pat)

    identity = await authenticator.authenticate("Bearer amcp_secret")
    await authenticator.authenticate("Bearer amcp_secret")

    assert identity.subject == "alice"
    assert seen == ["amcp_secret", "amcp_secret"]  # never cached: revocation is immediate


async def test_personal_tokens_disabled_in_config_are_rejected(
    idp: RunningIssuer, http: httpx.AsyncClient
) -> None:
    async def verify_pat(token: str) -> Identity:
        return Identity("alice", issuer="pat")

    config = Config.model_validate(
        {
            "server": {"public_url": PUBLIC_URL},
            "auth": {
                "personal_tokens": False,
                "jwt": {"issuer": idp.issuer.issuer_url, "jwks_url": idp.jwks_url},
            },
        }
    )
    authenticator = Authenticator(config, http, pat_verifier=verify_pat)

    with pytest.raises(InvalidToken):
        await authenticator.authenticate("Bearer amcp_secret")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_cached_identity_expires_after_the_ttl() -> None:
    clock = Clock()
    cache = VerifiedTokenCache(size=10, ttl=60.0, clock=clock)
    cache.put(b"k", Identity("alice", issuer="i", expires_at=clock.now + 3600))

    clock.now += 59
    assert cache.get(b"k") is not None
    clock.now += 1
    assert cache.get(b"k") is None


def test_cached_identity_never_outlives_its_token() -> None:
    clock = Clock()
    cache = VerifiedTokenCache(size=10, ttl=60.0, clock=clock)
    cache.put(b"k", Identity("alice", issuer="i", expires_at=clock.now + 5))

    clock.now += 5
    assert cache.get(b"k") is None


def test_token_cache_is_bounded() -> None:
    clock = Clock()
    cache = VerifiedTokenCache(size=3, ttl=60.0, clock=clock)
    for n in range(5):
        cache.put(bytes([n]), Identity(f"user{n}", issuer="i", expires_at=clock.now + 3600))

    assert len(cache) == 3
    assert cache.get(bytes([0])) is None
    assert cache.get(bytes([4])) is not None

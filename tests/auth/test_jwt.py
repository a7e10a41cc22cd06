"""JWT verification end to end: tokens from a DevIssuer, keys from its JWKS over real HTTP."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from authz_mcp.auth.authenticator import Authenticator
from authz_mcp.auth.devissuer import DevIssuer
from authz_mcp.auth.identity import Identity
from authz_mcp.errors import InvalidToken
from tests.auth.conftest import AUDIENCE, gateway_config
from tests.auth.tokens import claims_of, hs256_token, unsigned_token
from tests.support.issuer import RunningIssuer


async def authenticate(idp: RunningIssuer, http: httpx.AsyncClient, token: str, **cfg: Any) -> Identity:
    authenticator = Authenticator(gateway_config(idp, **cfg), http)
    return await authenticator.authenticate(f"Bearer {token}")


async def rejection(idp: RunningIssuer, http: httpx.AsyncClient, token: str, **cfg: Any) -> str | None:
    with pytest.raises(InvalidToken) as caught:
        await authenticate(idp, http, token, **cfg)
    assert caught.value.token_given
    return caught.value.detail


async def test_valid_token_yields_identity(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    token = idp.issuer.mint("alice", audience=AUDIENCE, groups=["eng", "ops"])

    identity = await authenticate(idp, http, token)

    assert identity.subject == "alice"
    assert identity.issuer == idp.issuer.issuer_url
    assert identity.groups == ("eng", "ops")
    assert identity.scopes is None
    assert identity.expires_at == claims_of(token)["exp"]


async def test_token_signed_by_another_key_with_same_kid_is_rejected(
    idp: RunningIssuer, http: httpx.AsyncClient
) -> None:
    impostor = DevIssuer.generate(idp.issuer.issuer_url, kid=idp.issuer.kid)
    token = impostor.mint("alice", audience=AUDIENCE)

    assert await rejection(idp, http, token) == "bad signature"


async def test_tampered_claims_are_rejected(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    header, _, signature = idp.issuer.mint("alice", audience=AUDIENCE).split(".")
    forged_body = idp.issuer.mint("root", audience=AUDIENCE).split(".")[1]

    assert await rejection(idp, http, f"{header}.{forged_body}.{signature}") == "bad signature"


async def test_expired_token_is_rejected(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    token = idp.issuer.mint("alice", audience=AUDIENCE, expires_in=-120)

    assert await rejection(idp, http, token) == "expired"


async def test_token_expired_within_leeway_is_accepted(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    token = idp.issuer.mint("alice", audience=AUDIENCE, expires_in=-5)

    identity = await authenticate(idp, http, token, leeway_seconds=30)

    assert identity.subject == "alice"


async def test_token_without_exp_is_rejected(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    token = idp.issuer.mint("alice", audience=AUDIENCE, extra_claims={"exp": None})

    assert await rejection(idp, http, token) == "missing claim exp"


async def test_token_not_yet_valid_is_rejected(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    token = idp.issuer.mint("alice", audience=AUDIENCE, not_before=time.time() + 3600)

    assert await rejection(idp, http, token) == "not yet valid"


async def test_token_issued_in_the_future_is_rejected(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    token = idp.issuer.mint("alice", audience=AUDIENCE, issued_at=time.time() + 3600)

    assert await rejection(idp, http, token) == "not yet valid"


@pytest.mark.parametrize("iss", ["https://evil.example.com", "{url}/", "{url}/realms/other", ""])
async def test_token_from_unconfigured_issuer_is_rejected(
    idp: RunningIssuer, http: httpx.AsyncClient, iss: str
) -> None:
    token = idp.issuer.mint("alice", audience=AUDIENCE, extra_claims={"iss": iss.format(url=idp.url)})

    assert await rejection(idp, http, token) == "unknown issuer"


async def test_token_without_issuer_is_rejected(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    token = idp.issuer.mint("alice", audience=AUDIENCE, extra_claims={"iss": None})

    assert await rejection(idp, http, token) == "unknown issuer"


async def test_token_for_another_audience_is_rejected(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    token = idp.issuer.mint("alice", audience="http://127.0.0.1:9999/mcp")

    assert await rejection(idp, http, token) == "wrong audience"


async def test_token_without_audience_is_rejected(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    token = idp.issuer.mint("alice", audience=AUDIENCE, extra_claims={"aud": None})

    assert await rejection(idp, http, token) == "missing claim aud"


async def test_audience_list_containing_the_mcp_url_is_accepted(
    idp: RunningIssuer, http: httpx.AsyncClient
) -> None:
    token = idp.issuer.mint("alice", audience=["account", AUDIENCE])

    assert (await authenticate(idp, http, token)).subject == "alice"


async def test_configured_audience_replaces_the_default(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    token = idp.issuer.mint("alice", audience="gateway")

    assert (await authenticate(idp, http, token, audience="gateway")).subject == "alice"
    assert await rejection(idp, http, idp.issuer.mint("alice", audience=AUDIENCE), audience="gateway") == (
        "wrong audience"
    )


async def test_unsigned_alg_none_token_is_rejected(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    token = idp.issuer.mint("alice", audience=AUDIENCE, algorithm="none")

    assert await rejection(idp, http, token) == "algorithm not allowed"


async def test_hs256_token_keyed_with_the_public_key_is_rejected(
    idp: RunningIssuer, http: httpx.AsyncClient
) -> None:
    # The classic key-confusion attack: HMAC "secret" = the issuer's published public key.
    claims = claims_of(idp.issuer.mint("root", audience=AUDIENCE))
    header = {"alg": "HS256", "typ": "JWT", "kid": idp.issuer.kid}
    token = hs256_token(header, claims, idp.issuer.public_key_pem())

    assert await rejection(idp, http, token) == "algorithm not allowed"


async def test_allowed_algorithm_that_does_not_fit_the_key_type_is_rejected(
    idp: RunningIssuer, http: httpx.AsyncClient
) -> None:
    claims = claims_of(idp.issuer.mint("root", audience=AUDIENCE))
    token = unsigned_token({"alg": "ES256", "kid": idp.issuer.kid}, claims)

    assert await rejection(idp, http, token, algorithms=["RS256", "ES256"]) == "algorithm does not match key"


async def test_algorithm_outside_the_allow_list_is_rejected(
    idp: RunningIssuer, http: httpx.AsyncClient
) -> None:
    token = idp.issuer.mint("alice", audience=AUDIENCE, algorithm="PS256")

    assert await rejection(idp, http, token, algorithms=["RS256"]) == "algorithm not allowed"


async def test_token_with_unknown_kid_is_rejected(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    token = idp.issuer.mint("alice", audience=AUDIENCE, kid="not-a-published-kid")

    assert await rejection(idp, http, token) == "unknown key id"


async def test_groups_are_read_from_a_nested_claim_path(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    token = idp.issuer.mint("alice", audience=AUDIENCE, extra_claims={"realm_access": {"roles": ["a", "b"]}})

    identity = await authenticate(idp, http, token, groups_claim="realm_access.roles")

    assert identity.groups == ("a", "b")


async def test_namespaced_claim_with_dots_is_read_whole(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    claim = "https://example.com/groups"
    token = idp.issuer.mint("alice", audience=AUDIENCE, extra_claims={claim: ["eng"]})

    assert (await authenticate(idp, http, token, groups_claim=claim)).groups == ("eng",)


async def test_single_string_group_becomes_one_group(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    token = idp.issuer.mint("alice", audience=AUDIENCE, extra_claims={"groups": "eng"})

    assert (await authenticate(idp, http, token)).groups == ("eng",)


async def test_missing_groups_claim_means_no_groups(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    token = idp.issuer.mint("alice", audience=AUDIENCE)

    assert (await authenticate(idp, http, token, groups_claim="realm_access.roles")).groups == ()


@pytest.mark.parametrize("groups", [[1, 2], {"eng": True}, ["eng", None]])
async def test_malformed_groups_claim_is_rejected(
    idp: RunningIssuer, http: httpx.AsyncClient, groups: object
) -> None:
    token = idp.issuer.mint("alice", audience=AUDIENCE, extra_claims={"groups": groups})

    assert await rejection(idp, http, token) == "malformed groups claim"


async def test_subject_comes_from_the_configured_claim(idp: RunningIssuer, http: httpx.AsyncClient) -> None:
    token = idp.issuer.mint("uuid-1", audience=AUDIENCE, extra_claims={"preferred_username": "alice"})

    assert (await authenticate(idp, http, token, subject_claim="preferred_username")).subject == "alice"


@pytest.mark.parametrize(
    ("subject", "detail"), [(None, "missing subject"), ("", "missing subject"), (42, "malformed sub")]
)
async def test_token_without_usable_subject_is_rejected(
    idp: RunningIssuer, http: httpx.AsyncClient, subject: object, detail: str
) -> None:
    token = idp.issuer.mint("alice", audience=AUDIENCE, extra_claims={"sub": subject})

    assert await rejection(idp, http, token) == detail


@pytest.mark.parametrize("subject", ["group:finance", "role:admin"])
async def test_subject_that_looks_like_a_group_or_role_is_rejected(
    idp: RunningIssuer, http: httpx.AsyncClient, subject: str
) -> None:
    token = idp.issuer.mint(subject, audience=AUDIENCE)
    assert await rejection(idp, http, token) == "subject uses a reserved prefix"

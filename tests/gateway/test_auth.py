"""Every unusable credential gets 401 and the RFC 6750 / RFC 9728 challenge, end to end."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from authz_mcp.auth.devissuer import DevIssuer
from tests.auth.tokens import claims_of, hs256_token, unsigned_token
from tests.support.gateway import GatewayProcess
from tests.support.issuer import RunningIssuer
from tests.support.raw import ACCEPT
from tests.support.raw import INITIALIZE as INIT

Forge = Callable[[RunningIssuer, str], str]


def _bad_signature(issuer: RunningIssuer, audience: str) -> str:
    impostor = DevIssuer.generate(issuer.url, kid=issuer.issuer.kid)
    return impostor.mint("alice", audience=audience)


def _alg_none(issuer: RunningIssuer, audience: str) -> str:
    claims = claims_of(issuer.issuer.mint("alice", audience=audience))
    return unsigned_token({"alg": "none", "typ": "JWT", "kid": issuer.issuer.kid}, claims, b"")


def _hs256_with_public_key(issuer: RunningIssuer, audience: str) -> str:
    claims = claims_of(issuer.issuer.mint("alice", audience=audience))
    header = {"alg": "HS256", "typ": "JWT", "kid": issuer.issuer.kid}
    return hs256_token(header, claims, issuer.issuer.public_key_pem())


CASES: dict[str, Forge] = {
    "bad signature": _bad_signature,
    "expired": lambda i, aud: i.issuer.mint("alice", audience=aud, expires_in=-600),
    "not yet valid": lambda i, aud: i.issuer.mint("alice", audience=aud, not_before=time.time() + 600),
    "wrong issuer": lambda i, aud: DevIssuer.generate("https://evil.example").mint("alice", audience=aud),
    "wrong audience": lambda i, aud: i.issuer.mint("alice", audience="https://other.example/mcp"),
    "alg none": _alg_none,
    "HS256 signed with the public key": _hs256_with_public_key,
    "unknown kid": lambda i, aud: i.issuer.mint("alice", audience=aud, kid="no-such-kid"),
    "no exp": lambda i, aud: i.issuer.mint("alice", audience=aud, extra_claims={"exp": None}),
    "not a JWT": lambda i, aud: "definitely-not-a-jwt",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_unusable_token_gets_401_invalid_token_challenge(
    gateway: GatewayProcess, issuer: RunningIssuer, case: str
) -> None:
    token = CASES[case](issuer, gateway.url)
    response = httpx.post(
        gateway.url,
        json=INIT,
        headers={"Authorization": f"Bearer {token}", "Accept": ACCEPT, "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 401, case
    metadata = f"{gateway.base_url}/.well-known/oauth-protected-resource/mcp"
    assert (
        response.headers["www-authenticate"]
        == f'Bearer resource_metadata="{metadata}", error="invalid_token"'
    )
    assert response.json()["error"]["code"] == -32600


@pytest.mark.parametrize("authorization", ["Basic YWxpY2U6cHc=", "Bearer", "Bearer a b", "bearer"])
def test_malformed_authorization_header_gets_401(gateway: GatewayProcess, authorization: str) -> None:
    response = httpx.post(
        gateway.url,
        json=INIT,
        headers={"Authorization": authorization, "Accept": ACCEPT, "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer resource_metadata="')


def test_valid_token_is_accepted(gateway: GatewayProcess, issuer: RunningIssuer) -> None:
    token = issuer.issuer.mint("alice", audience=gateway.url)
    response = httpx.post(
        gateway.url,
        json=INIT,
        headers={"Authorization": f"Bearer {token}", "Accept": ACCEPT, "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 200

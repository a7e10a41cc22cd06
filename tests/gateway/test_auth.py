"""Every unusable credential gets 401 and the RFC 6750 / RFC 9728 challenge, end to end."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from authz_mcp.auth.devissuer import DevIssuer
from tests.auth.tokens import claims_of, hs256_token, unsigned_token
from tests.support.gateway import GatewayProcess, wait_until
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


# Whatever was wrong with the token, the client reads only this (RFC 6750 §3.1).
INVALID_TOKEN_BODY = {
    "jsonrpc": "2.0",
    "id": None,
    "error": {
        "code": -32600,
        "message": "The access token is invalid",
        "data": {"oauth_error": "invalid_token"},
    },
}
REASONS = {
    "bad signature": "bad signature",
    "expired": "expired",
    "not yet valid": "not yet valid",
    "wrong issuer": "unknown issuer",
    "wrong audience": "wrong audience",
    "alg none": "algorithm not allowed",
    "HS256 signed with the public key": "algorithm not allowed",
    "unknown kid": "unknown key id",
    "no exp": "missing claim exp",
    "not a JWT": "malformed token",
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
    assert response.json() == INVALID_TOKEN_BODY


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_refused_token_is_logged_once_with_its_reason_and_never_the_token(
    gateway: GatewayProcess, issuer: RunningIssuer, case: str
) -> None:
    token = CASES[case](issuer, gateway.url)
    headers = {"Authorization": f"Bearer {token}", "Accept": ACCEPT, "Content-Type": "application/json"}
    before = len(gateway.log)
    assert httpx.post(gateway.url, json=INIT, headers=headers, timeout=10).status_code == 401
    expected = f'reason="{REASONS[case]}"'

    def logged() -> list[str]:
        return [line for line in gateway.log[before:] if "credentials refused" in line and expected in line]

    wait_until(lambda: bool(logged()), 10, f"the refusal log line for {case}")
    line = logged()[0]
    assert " WARNING " in line
    assert 'client="127.0.0.1:' in line
    for part in token.split("."):
        if len(part) >= 8:
            assert part not in "\n".join(gateway.log)
    if case in ("expired", "wrong audience", "unknown kid"):
        assert f'issuer="{issuer.url}"' in line
        assert 'subject="alice"' in line
        assert "kid=" in line


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

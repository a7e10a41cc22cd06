"""The development issuer: loopback only, public keys only, tokens pyjwt can verify."""

from __future__ import annotations

import httpx
import jwt
import pytest

from authz_mcp.auth.devissuer import DevIssuer, require_loopback
from tests.support.issuer import RunningIssuer

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "10.0.0.1", "192.168.1.5", "example.com", "", "localhost.evil"]
)
def test_dev_issuer_refuses_non_loopback_hosts(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        require_loopback(host)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"])
def test_dev_issuer_accepts_loopback_hosts(host: str) -> None:
    require_loopback(host)


async def test_dev_issuer_refuses_to_serve_on_all_interfaces() -> None:
    issuer = DevIssuer.generate("http://127.0.0.1:9000")

    with pytest.raises(ValueError, match="loopback"):
        await issuer.serve("0.0.0.0", 9000)


def test_jwks_publishes_public_keys_only() -> None:
    issuer = DevIssuer.generate("http://127.0.0.1:9000")
    issuer.rotate()

    keys = issuer.jwks()["keys"]

    assert len(keys) == 2
    assert all(PRIVATE_MEMBERS.isdisjoint(key) for key in keys)
    assert [key["kid"] for key in keys][-1] == issuer.kid


def test_rotation_can_drop_the_old_key() -> None:
    issuer = DevIssuer.generate("http://127.0.0.1:9000", kid="one")

    new_kid = issuer.rotate(keep_old=False)

    assert [key["kid"] for key in issuer.jwks()["keys"]] == [new_kid]


def test_minted_token_verifies_with_the_published_key() -> None:
    issuer = DevIssuer.generate("http://127.0.0.1:9000")
    token = issuer.mint("alice", audience="aud", groups=["eng"], extra_claims={"email": "a@x"})

    key = jwt.PyJWK(issuer.jwks()["keys"][0])
    claims = jwt.decode(token, key, algorithms=["RS256"], audience="aud", issuer="http://127.0.0.1:9000")

    assert (claims["sub"], claims["groups"], claims["email"]) == ("alice", ["eng"], "a@x")
    assert jwt.get_unverified_header(token)["kid"] == issuer.kid


async def test_served_discovery_document_points_at_the_jwks(
    idp: RunningIssuer, http: httpx.AsyncClient
) -> None:
    discovery = (await http.get(f"{idp.url}/.well-known/openid-configuration")).json()
    jwks = (await http.get(discovery["jwks_uri"])).json()

    assert discovery["issuer"] == idp.issuer.issuer_url
    assert jwks == idp.issuer.jwks()
    assert idp.issuer.jwks_requests == 1

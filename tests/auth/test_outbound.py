"""Outbound fetches go only to configured issuers, over https (plain http on loopback only);
discovery falls back from OpenID Connect to RFC 8414 metadata."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx
import pytest
from pydantic import ValidationError

from authz_mcp.auth.jwks import JwksCache, oauth_metadata_url
from authz_mcp.config.model import JwtIssuerConfig
from authz_mcp.errors import InvalidToken
from tests.support.issuer import RunningIssuer

ISSUER = "https://idp.example.com/realms/acme"


def serving(documents: Mapping[str, object], seen: list[str]) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if str(request.url) in documents:
            return httpx.Response(200, json=documents[str(request.url)])
        return httpx.Response(404)

    return handle


@pytest.mark.parametrize(
    "url",
    ["http://idp.example.com/realms/acme", "ftp://idp.example.com", "idp.example.com", "http://10.0.0.5/x"],
)
def test_issuer_over_plain_http_or_another_scheme_is_refused(url: str) -> None:
    with pytest.raises(ValidationError):
        JwtIssuerConfig(issuer=url)
    with pytest.raises(ValidationError):
        JwtIssuerConfig(issuer=ISSUER, jwks_url=url)


@pytest.mark.parametrize(
    "url", [ISSUER, "http://127.0.0.1:9000", "http://localhost:8080/realms/x", "http://[::1]:1"]
)
def test_https_and_loopback_issuers_are_accepted(url: str) -> None:
    assert JwtIssuerConfig(issuer=url, jwks_url=url + "/jwks").issuer == url


@pytest.mark.parametrize(
    "jwks_uri",
    ["https://keys.example.net/jwks", "http://idp.example.com/jwks", "https://idp.example.com:8443/jwks"],
    ids=["other-host", "downgraded-scheme", "other-port"],
)
async def test_discovered_jwks_uri_off_the_issuers_origin_is_never_fetched(jwks_uri: str) -> None:
    seen: list[str] = []
    discovery = {f"{ISSUER}/.well-known/openid-configuration": {"issuer": ISSUER, "jwks_uri": jwks_uri}}
    async with httpx.AsyncClient(transport=httpx.MockTransport(serving(discovery, seen))) as client:
        jwks = JwksCache.from_issuer(ISSUER, client)

        with pytest.raises(InvalidToken):
            await jwks.get_key("k1")

    assert seen == [f"{ISSUER}/.well-known/openid-configuration"]


async def test_discovery_falls_back_to_rfc8414_metadata(idp: RunningIssuer) -> None:
    seen: list[str] = []
    metadata = {"issuer": ISSUER, "jwks_uri": "https://idp.example.com/keys"}
    documents = {
        "https://idp.example.com/.well-known/oauth-authorization-server/realms/acme": metadata,
        "https://idp.example.com/keys": idp.issuer.jwks(),
    }
    async with httpx.AsyncClient(transport=httpx.MockTransport(serving(documents, seen))) as client:
        jwks = JwksCache.from_issuer(ISSUER, client)

        assert (await jwks.get_key(idp.issuer.kid)).key_id == idp.issuer.kid

    assert seen[0] == f"{ISSUER}/.well-known/openid-configuration"


@pytest.mark.parametrize(
    ("issuer", "expected"),
    [
        ("https://as.example.com", "https://as.example.com/.well-known/oauth-authorization-server"),
        ("https://as.example.com/t/1/", "https://as.example.com/.well-known/oauth-authorization-server/t/1"),
    ],
)
def test_rfc8414_metadata_url_inserts_the_well_known_suffix(issuer: str, expected: str) -> None:
    assert oauth_metadata_url(issuer) == expected

"""An issuer's JSON Web Key Set (RFC 7517), fetched over HTTP and cached.

Keys are refetched when a token names an unknown `kid` (the issuer rotated its keys), but at
most once per `min_refetch_interval`: a flood of tokens with made-up `kid`s must not turn the
gateway into an amplifier against the identity provider (DESIGN §3).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from jwt import PyJWK, PyJWTError

from authz_mcp.errors import InvalidToken

logger = logging.getLogger(__name__)

# Which key a JWS algorithm may be verified with (RFC 7518 §3.1, RFC 8037 §3.1). Checking this
# ourselves means a header can never pick an algorithm the key was not made for.
_KEY_TYPE = {
    **{alg: "RSA" for alg in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")},
    "ES256": "EC",
    "ES384": "EC",
    "ES512": "EC",
    "EdDSA": "OKP",
}
_EC_CURVE = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}

_FETCH_TIMEOUT = 5.0


@dataclass
class _Entry:
    jwk: Mapping[str, Any]
    bound: dict[str, PyJWK] = field(default_factory=dict)

    def bind(self, algorithm: str) -> PyJWK:
        """The key bound to `algorithm`, if the key is of the right type for it."""
        if algorithm not in self.bound:
            declared = self.jwk.get("alg")
            if declared is not None and declared != algorithm:
                raise InvalidToken("algorithm does not match key")
            if _KEY_TYPE.get(algorithm) != self.jwk.get("kty"):
                raise InvalidToken("algorithm does not match key type")
            if algorithm in _EC_CURVE and self.jwk.get("crv") != _EC_CURVE[algorithm]:
                raise InvalidToken("algorithm does not match key curve")
            try:
                self.bound[algorithm] = PyJWK(dict(self.jwk), algorithm)
            except PyJWTError as exc:
                raise InvalidToken("unusable key") from exc
        return self.bound[algorithm]


class JwksCache:
    def __init__(
        self,
        jwks_url: str,
        http: httpx.AsyncClient,
        *,
        min_refetch_interval: float = 30.0,
        max_age: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._jwks_url: str | None = jwks_url
        self._discovery: tuple[str, str] | None = None
        self._http = http
        self._min_refetch_interval = min_refetch_interval
        self._max_age = max_age
        self._clock = clock
        self._entries: dict[str | None, _Entry] = {}
        self._fetched_at: float | None = None
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_issuer(cls, issuer: str, http: httpx.AsyncClient, **kwargs: Any) -> JwksCache:
        """A cache whose JWKS URL is found on first use through OpenID Connect Discovery, or
        RFC 8414 Authorization Server Metadata when the issuer has no OpenID configuration."""
        cache = cls("", http, **kwargs)
        cache._jwks_url = None
        cache._discovery = (issuer, f"{issuer.rstrip('/')}/.well-known/openid-configuration")
        return cache

    async def get_key(self, kid: str | None, algorithm: str | None = None) -> PyJWK:
        """The key for `kid` (bound to `algorithm` when given); InvalidToken when there is none."""
        entry = self._lookup(kid) if not self._stale() else None
        if entry is None:
            async with self._lock:
                # Concurrent misses queue here; the first refreshes, the rest see its result.
                entry = self._lookup(kid)
                if (entry is None or self._stale()) and self._may_fetch():
                    await self._refresh()
                    entry = self._lookup(kid)
        if entry is None:
            raise InvalidToken("unknown key id" if kid is not None else "no key id and several keys")
        return entry.bind(algorithm) if algorithm is not None else entry.bind(_default_alg(entry))

    def _lookup(self, kid: str | None) -> _Entry | None:
        if kid is None:
            # Without a kid the choice is only unambiguous when the set holds one key.
            return next(iter(self._entries.values())) if len(self._entries) == 1 else None
        return self._entries.get(kid)

    def _stale(self) -> bool:
        return self._loaded_at is not None and self._clock() - self._loaded_at >= self._max_age

    def _may_fetch(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self._min_refetch_interval

    async def _refresh(self) -> None:
        # Failures count towards the rate limit too: a provider that is down is not hammered.
        self._fetched_at = self._clock()
        try:
            url = self._jwks_url or await self._discover()
            document = await self._get_json(url)
            entries = _parse_key_set(document)
        except (httpx.HTTPError, ValueError) as exc:
            # Keep serving the keys we had: a failed refresh must not log everyone out.
            source = self._jwks_url or (self._discovery[1] if self._discovery else "?")
            logger.warning("JWKS fetch failed for %s: %s", source, exc)
            return
        self._entries = entries
        self._loaded_at = self._clock()
        logger.info("JWKS loaded from %s: %d key(s)", url, len(entries))

    async def _discover(self) -> str:
        assert self._discovery is not None
        issuer, discovery_url = self._discovery
        try:
            document = await self._get_json(discovery_url)
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code != 404:
                raise
            document = await self._get_json(oauth_metadata_url(issuer))
        # OpenID Connect Discovery §4.3: "The issuer value returned MUST be identical to the
        # Issuer URL that was used as the prefix to /.well-known/openid-configuration";
        # RFC 8414 §3.3 says the same of its metadata.
        if document.get("issuer") != issuer:
            raise ValueError("discovery document names a different issuer")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not same_origin(jwks_uri, issuer):
            # Fetches go only to configured issuers: a document that points elsewhere is
            # refused (configure `jwks_url` for providers that serve keys from another host).
            raise ValueError("discovery document has no jwks_uri on the issuer's origin")
        self._jwks_url = jwks_uri
        return jwks_uri

    async def _get_json(self, url: str) -> dict[str, Any]:
        response = await self._http.get(url, timeout=_FETCH_TIMEOUT, follow_redirects=False)
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict):
            raise ValueError("expected a JSON object")
        return document


def oauth_metadata_url(issuer: str) -> str:
    """RFC 8414 §3.1: the well-known suffix goes between the issuer's host and its path."""
    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, f"/.well-known/oauth-authorization-server{path}", "", ""))


def same_origin(url: str, issuer: str) -> bool:
    """Whether `url` has the issuer's scheme, host and port (RFC 6454 origin)."""
    try:
        a, b = urlsplit(url), urlsplit(issuer)
        return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port) and a.scheme in (
            "https",
            "http",
        )
    except ValueError:
        return False


def _parse_key_set(document: Mapping[str, Any]) -> dict[str | None, _Entry]:
    keys = document.get("keys")
    if not isinstance(keys, list):
        raise ValueError("JWKS has no 'keys' array")
    entries: dict[str | None, _Entry] = {}
    for jwk in keys:
        # Only public signature keys: a symmetric ("oct") key in a published set is never trusted.
        if not isinstance(jwk, dict) or jwk.get("kty") not in ("RSA", "EC", "OKP"):
            continue
        if jwk.get("use", "sig") != "sig":
            continue
        kid = jwk.get("kid")
        if kid is not None and not isinstance(kid, str):
            continue
        entry = _Entry(jwk)
        try:
            entry.bind(_default_alg(entry))
        except InvalidToken:
            continue
        entries[kid] = entry
    if not entries:
        raise ValueError("JWKS holds no usable signature keys")
    return entries


def _default_alg(entry: _Entry) -> str:
    declared = entry.jwk.get("alg")
    if isinstance(declared, str):
        return declared
    kty = entry.jwk.get("kty")
    if kty == "EC":
        return next((alg for alg, crv in _EC_CURVE.items() if crv == entry.jwk.get("crv")), "ES256")
    return {"RSA": "RS256", "OKP": "EdDSA"}.get(str(kty), "RS256")

"""Authentication of one request: the Authorization header in, an Identity out (DESIGN §3).

Runs on every request; a session is never proof of identity. Verified JWTs are cached briefly
(keyed by a hash of the token, never the token itself) because verification costs a signature
check per request. Personal access tokens are never cached: a revocation must take effect on the
next request.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import httpx
import jwt

from authz_mcp.auth.identity import Identity
from authz_mcp.auth.jwks import JwksCache
from authz_mcp.auth.jwt import JwtVerifier, claim_at
from authz_mcp.auth.refusals import AuthRefusals
from authz_mcp.config.model import Config
from authz_mcp.errors import (
    AuthenticationError,
    ConfigError,
    InsufficientScope,
    InvalidToken,
    MissingCredentials,
)

PAT_PREFIX = "amcp_"

# RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token, and RFC 7235 §2.1 makes the scheme name
# case-insensitive.
_BEARER = re.compile(r"(?i:bearer) +([A-Za-z0-9\-._~+/]+=*)")
_SCHEME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Far above any real access token; refuses to parse megabytes of header.
_MAX_TOKEN_LENGTH = 16 * 1024

PatVerifier = Callable[[str], Awaitable[Identity]]


class Authenticator:
    def __init__(
        self,
        config: Config,
        http: httpx.AsyncClient,
        *,
        pat_verifier: PatVerifier | None = None,
        refusals: AuthRefusals | None = None,
        cache_size: int = 10_000,
        cache_ttl: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._verifiers: dict[str, JwtVerifier] = {}
        for issuer_cfg in config.auth.jwt:
            if issuer_cfg.issuer in self._verifiers:
                raise ConfigError(f"auth.jwt: issuer {issuer_cfg.issuer!r} is configured twice")
            refetch = issuer_cfg.jwks_refetch_seconds
            jwks = (
                JwksCache(issuer_cfg.jwks_url, http, min_refetch_interval=refetch)
                if issuer_cfg.jwks_url
                else JwksCache.from_issuer(issuer_cfg.issuer, http, min_refetch_interval=refetch)
            )
            audience = config.audience_for(issuer_cfg)
            self._verifiers[issuer_cfg.issuer] = JwtVerifier(issuer_cfg, audience, jwks)
        self._pat_verifier = pat_verifier if config.auth.personal_tokens else None
        self._required_scopes = config.auth.required_scopes
        self._cache = VerifiedTokenCache(size=cache_size, ttl=cache_ttl, clock=clock)
        self.refusals = refusals if refusals is not None else AuthRefusals()
        """Refused credentials, logged and counted by the HTTP layer, which knows the client."""

    async def authenticate(self, authorization: str | None) -> Identity:
        """The request's identity. InsufficientScope (403) when an identity provider's token
        lacks a required scope; personal tokens are narrowed by their own scopes instead."""
        token = bearer_token(authorization)
        if token.startswith(PAT_PREFIX):
            if self._pat_verifier is None:
                raise InvalidToken("personal tokens not available")
            try:
                return await self._pat_verifier(token)
            except InvalidToken as exc:
                exc.add_context(issuer="personal token")
                raise
        key = hashlib.sha256(token.encode("ascii")).digest()
        identity = self._cache.get(key)
        if identity is None:
            identity = await self._verify_jwt(token)
            self._cache.put(key, identity)
        if not set(self._required_scopes) <= set(identity.oauth_scopes):
            refusal = InsufficientScope("missing a required scope")
            refusal.add_context(issuer=identity.issuer, subject=identity.subject)
            raise refusal
        return identity

    async def _verify_jwt(self, token: str) -> Identity:
        try:
            # Unverified on purpose: `iss` only selects which issuer's keys verify the token,
            # and what the token claims to be names it in the log line of a refusal.
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed token") from exc
        issuer = claims.get("iss")
        verifier = self._verifiers.get(issuer) if isinstance(issuer, str) else None
        try:
            if verifier is None:
                raise InvalidToken("unknown issuer")
            return await verifier.verify(token)
        except InvalidToken as exc:
            subject_claim = verifier.subject_claim if verifier is not None else "sub"
            exc.add_context(issuer=issuer, kid=header.get("kid"), subject=claim_at(claims, subject_claim))
            raise

    async def aclose(self) -> None:
        """Nothing to release: the HTTP client belongs to the caller."""
        self._cache.clear()


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header value."""
    if authorization is None or not authorization.strip():
        raise MissingCredentials()
    match = _BEARER.fullmatch(authorization)
    if match is None:
        scheme = authorization.split(" ", 1)[0]
        if _SCHEME.fullmatch(scheme) and scheme.lower() != "bearer":
            # RFC 6750 §3.1: a request "attempted using an unsupported authentication method"
            # counts as lacking authentication information: no error code in the challenge.
            raise AuthenticationError("unsupported authorization scheme", token_given=False)
        raise InvalidToken("malformed authorization header")
    token = match.group(1)
    if len(token) > _MAX_TOKEN_LENGTH:
        raise InvalidToken("token too long")
    return token


class VerifiedTokenCache:
    """Identities of recently verified JWTs, keyed by token hash, valid until min(exp, now + ttl)."""

    def __init__(self, *, size: int, ttl: float, clock: Callable[[], float]) -> None:
        self._size = size
        self._ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[bytes, tuple[Identity, float]] = OrderedDict()

    def get(self, key: bytes) -> Identity | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        identity, valid_until = entry
        if self._clock() >= valid_until:
            del self._entries[key]
            return None
        return identity

    def put(self, key: bytes, identity: Identity) -> None:
        if self._size <= 0:
            return
        now = self._clock()
        expires_at = identity.expires_at if identity.expires_at is not None else now
        # Full: drop the oldest insertions; expired entries are dropped lazily on lookup, so a
        # put stays O(1) under a flood of distinct tokens.
        while len(self._entries) >= self._size:
            self._entries.popitem(last=False)
        self._entries[key] = (identity, min(expires_at, now + self._ttl))

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

"""Verification of an issuer's JWT access tokens (RFC 7519, RFC 9068) into an Identity.

Every pyjwt error is translated here into InvalidToken with a short internal detail; the detail
goes to the log, never to the client (DESIGN §7).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jwt
from jwt.exceptions import InvalidJTIError, InvalidSubjectError

from authz_mcp.auth.identity import RESERVED_SUBJECT_PREFIXES, Identity
from authz_mcp.auth.jwks import JwksCache
from authz_mcp.config.model import JwtIssuerConfig
from authz_mcp.errors import InvalidToken

# Public-key algorithms only. The config validator already refuses the rest; this is the second
# lock, so that `none` or an HMAC algorithm (verified with a public key as the "secret") can never
# be reached even by a config built without validation.
_ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)

# Most specific first: the first pyjwt exception class that matches names the failure.
_DETAILS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.ImmatureSignatureError, "not yet valid"),
    (jwt.InvalidAudienceError, "wrong audience"),
    (jwt.InvalidIssuerError, "wrong issuer"),
    (jwt.InvalidIssuedAtError, "malformed iat"),
    (InvalidSubjectError, "malformed sub"),
    (InvalidJTIError, "malformed jti"),
    (jwt.InvalidSignatureError, "bad signature"),
    (jwt.InvalidAlgorithmError, "algorithm not allowed"),
    (jwt.DecodeError, "malformed token"),
)


class JwtVerifier:
    def __init__(self, issuer_cfg: JwtIssuerConfig, audience: str, jwks: JwksCache) -> None:
        self._cfg = issuer_cfg
        self._audience = audience
        self._jwks = jwks
        self._algorithms = tuple(alg for alg in issuer_cfg.algorithms if alg in _ASYMMETRIC)

    @property
    def issuer(self) -> str:
        return self._cfg.issuer

    @property
    def subject_claim(self) -> str:
        return self._cfg.subject_claim

    async def verify(self, token: str) -> Identity:
        header = _unverified_header(token)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise InvalidToken("algorithm not allowed")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise InvalidToken("malformed kid")
        # The key is bound to the header's algorithm only if the key's type fits it.
        key = await self._jwks.get_key(kid, alg)
        claims = self._decode(token, key)
        _check_numeric_dates(claims)
        return Identity(
            subject=self._subject(claims),
            issuer=self._cfg.issuer,
            groups=self._groups(claims),
            scopes=None,
            expires_at=float(claims["exp"]),
            oauth_scopes=_oauth_scopes(claims),
        )

    def _decode(self, token: str, key: jwt.PyJWK) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key=key,
                algorithms=[key.algorithm_name],
                audience=self._audience,
                issuer=self._cfg.issuer,
                leeway=self._cfg.leeway_seconds,
                options={"require": ["exp", "iss", "aud"], "verify_signature": True},
            )
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"missing claim {exc.claim}") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken(_detail(exc)) from exc

    def _subject(self, claims: Mapping[str, Any]) -> str:
        subject = claim_at(claims, self._cfg.subject_claim)
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("missing subject")
        # Users, groups and roles share one Casbin namespace: a subject that looks like
        # a group or role would be granted that group's or role's rules directly.
        if subject.startswith(RESERVED_SUBJECT_PREFIXES):
            raise InvalidToken("subject uses a reserved prefix")
        return subject

    def _groups(self, claims: Mapping[str, Any]) -> tuple[str, ...]:
        groups = groups_at(claims, self._cfg.groups_claim)
        if groups is None:
            # Groups grant permissions: a claim we cannot read is refused rather than half-used.
            raise InvalidToken("malformed groups claim")
        return groups


def groups_at(claims: Mapping[str, Any], path: str | None) -> tuple[str, ...] | None:
    """The groups a claim names: () when none is configured or present, None when unreadable."""
    if path is None:
        return ()
    value = claim_at(claims, path)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return None


def claim_at(claims: Mapping[str, Any], path: str) -> Any:
    """The claim named `path`, or reached by its dotted segments (`realm_access.roles`).

    An exact top-level name wins, because namespaced claims such as
    `https://example.com/groups` contain dots themselves.
    """
    if path in claims:
        return claims[path]
    value: Any = claims
    for segment in path.split("."):
        if not isinstance(value, Mapping) or segment not in value:
            return None
        value = value[segment]
    return value


def _oauth_scopes(claims: Mapping[str, Any]) -> tuple[str, ...]:
    """RFC 9068 §2.2.3 / RFC 8693 §4.2: `scope` is a space-separated string. Okta and Entra ID
    put scopes in `scp` instead, as a list or as such a string."""
    value = claims.get("scope", claims.get("scp"))
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    if value is None:
        return ()
    raise InvalidToken("malformed scope claim")


def _check_numeric_dates(claims: Mapping[str, Any]) -> None:
    # RFC 7519 §4.1.4-6: exp, nbf and iat are NumericDates, "a JSON numeric value". pyjwt reads
    # them with int(), which also takes the strings "1700000000" and true.
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InvalidToken(f"malformed {name}")


def _unverified_header(token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken("malformed token") from exc


def _detail(exc: jwt.PyJWTError) -> str:
    return next((detail for kind, detail in _DETAILS if isinstance(exc, kind)), "invalid token")

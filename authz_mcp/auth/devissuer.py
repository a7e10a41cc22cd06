"""A development-only token issuer for the demo and the tests. Never for production.

It holds RSA keys in memory, mints JWT access tokens, and serves its JWKS and OpenID
configuration over HTTP, on loopback addresses only.
"""

from __future__ import annotations

import ipaddress
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass(frozen=True)
class _SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}


def _new_key(kid: str | None = None) -> _SigningKey:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _SigningKey(kid or secrets.token_urlsafe(8), private_key)


def require_loopback(host: str) -> None:
    """Refuse to expose the dev issuer beyond this machine: anyone reaching it could trust it."""
    if host == "localhost":
        return
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise ValueError(
            f"the dev issuer only listens on loopback (127.0.0.0/8, ::1, localhost), not {host!r}"
        )


class DevIssuer:
    def __init__(self, issuer_url: str, keys: Sequence[_SigningKey]) -> None:
        self.issuer_url = issuer_url.rstrip("/")
        self._keys = list(keys)
        self.jwks_requests = 0
        """How many times the JWKS was served: lets tests observe refetching on the real app."""

    @classmethod
    def generate(cls, issuer_url: str, *, kid: str | None = None) -> DevIssuer:
        return cls(issuer_url, [_new_key(kid)])

    @property
    def kid(self) -> str:
        """The kid of the current signing key (the newest)."""
        return self._keys[-1].kid

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer_url}/jwks.json"

    def rotate(self, *, keep_old: bool = True, kid: str | None = None) -> str:
        """Add a new signing key and return its kid; the old keys stay published if `keep_old`."""
        key = _new_key(kid)
        self._keys = [*self._keys, key] if keep_old else [key]
        return key.kid

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk() for key in self._keys]}

    def public_key_pem(self) -> bytes:
        """The current public key in PEM: what an attacker would use as an HMAC "secret"."""
        return (
            self._keys[-1]
            .private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )

    def mint(
        self,
        subject: str,
        *,
        audience: str | Sequence[str],
        groups: Sequence[str] = (),
        expires_in: float = 3600,
        not_before: float | None = None,
        issued_at: float | None = None,
        extra_claims: Mapping[str, Any] | None = None,
        kid: str | None = None,
        algorithm: str = "RS256",
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """A signed token. In `extra_claims` a value of None removes that claim (e.g. `exp`)."""
        now = time.time()
        claims: dict[str, Any] = {
            "iss": self.issuer_url,
            "sub": subject,
            "aud": audience if isinstance(audience, str) else list(audience),
            "iat": int(now if issued_at is None else issued_at),
            "exp": int(now + expires_in),
            # Unique per token, as an identity provider's are: two tokens minted in one second
            # for the same subject must still differ.
            "jti": secrets.token_urlsafe(12),
        }
        if not_before is not None:
            claims["nbf"] = int(not_before)
        if groups:
            claims["groups"] = list(groups)
        for name, value in (extra_claims or {}).items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        header = {"kid": kid or self.kid, **(headers or {})}
        # pyjwt's "none" takes an empty key; tests use it to prove such tokens are refused.
        signing_key: rsa.RSAPrivateKey | str = self._keys[-1].private_key if algorithm != "none" else ""
        return jwt.encode(claims, signing_key, algorithm=algorithm, headers=header)

    def sign(self, payload: bytes, headers: Mapping[str, Any]) -> str:
        """A compact JWS over `payload` exactly as given, with the current key: for tests whose
        claims JSON pyjwt would not write (duplicate names, odd spacing). A header value of None
        leaves that parameter out (e.g. `kid`)."""
        header = {name: value for name, value in {"kid": self.kid, **headers}.items() if value is not None}
        return jwt.api_jws.encode(payload, self._keys[-1].private_key, algorithm="RS256", headers=header)

    def app(self) -> Starlette:
        async def jwks(request: Request) -> JSONResponse:
            self.jwks_requests += 1
            return JSONResponse(self.jwks())

        async def openid_configuration(request: Request) -> JSONResponse:
            return JSONResponse({"issuer": self.issuer_url, "jwks_uri": self.jwks_url})

        return Starlette(
            routes=[
                Route("/jwks.json", jwks),
                Route("/.well-known/openid-configuration", openid_configuration),
            ]
        )

    def server(self, host: str = "127.0.0.1", port: int = 9000) -> uvicorn.Server:
        """A uvicorn server for `app()`, refusing any non-loopback host."""
        require_loopback(host)
        config = uvicorn.Config(
            self.app(), host=host, port=port, log_level="warning", lifespan="off", ws="none"
        )
        return uvicorn.Server(config)

    async def serve(self, host: str = "127.0.0.1", port: int = 9000) -> None:
        await self.server(host, port).serve()

"""Signing in to the console: OpenID Connect authorization code flow with PKCE (RFC 7636),
through authlib's Starlette client, and the signed-in user kept in the session cookie.

The provider's ID token is checked by authlib (signature from the provider's JWKS, `iss`, `aud`
equal to our client id, `nonce`, `exp`); the user is then named by the same subject and groups
claims the MCP endpoint reads from that issuer's access tokens, so that the console shows the
same view the MCP endpoint gives.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from authlib.integrations.starlette_client import OAuth, OAuthError
from starlette.requests import Request

from authz_mcp.auth.identity import RESERVED_SUBJECT_PREFIXES, Identity
from authz_mcp.auth.jwt import claim_at, groups_at
from authz_mcp.config.console import ConsoleConfig
from authz_mcp.config.model import Config, JwtIssuerConfig
from authz_mcp.errors import AuthzMcpError

logger = logging.getLogger(__name__)

PROVIDER = "idp"


class SignInFailed(AuthzMcpError):
    """The provider's answer could not sign anyone in; the detail goes to the log only."""


class SignIn:
    def __init__(self, config: Config, console: ConsoleConfig) -> None:
        self.console = console
        self.issuer = console.issuer or config.auth.jwt[0].issuer
        claims = next((cfg for cfg in config.auth.jwt if cfg.issuer == self.issuer), None)
        self.claims = claims or JwtIssuerConfig(issuer=self.issuer)
        self.oauth = OAuth()
        self.oauth.register(
            name=PROVIDER,
            client_id=console.client_id,
            client_secret=console.client_secret,
            server_metadata_url=f"{self.issuer.rstrip('/')}/.well-known/openid-configuration",
            # RFC 7636 §4.2: S256 whenever the client can; the verifier stays in the session.
            code_challenge_method="S256",
            client_kwargs={"scope": " ".join(console.scopes)},
        )

    @property
    def client(self) -> Any:
        return self.oauth.create_client(PROVIDER)

    async def redirect(self, request: Request, callback_url: str) -> Any:
        return await self.client.authorize_redirect(request, callback_url)

    async def complete(self, request: Request) -> dict[str, Any]:
        """The session's user record, from the provider's answer on the callback."""
        try:
            token = await self.client.authorize_access_token(request)
        except OAuthError as exc:
            raise SignInFailed(f"provider refused: {exc.error}") from exc
        except (ValueError, KeyError) as exc:
            raise SignInFailed(f"unusable provider answer: {exc!r}") from exc
        userinfo = token.get("userinfo")
        if not isinstance(userinfo, Mapping):
            raise SignInFailed("no ID token in the provider's answer")
        subject = claim_at(userinfo, self.claims.subject_claim)
        if not isinstance(subject, str) or not subject or subject.startswith(RESERVED_SUBJECT_PREFIXES):
            raise SignInFailed("unusable subject claim")
        return {
            "sub": subject,
            "groups": list(self._groups(userinfo)),
            "until": time.time() + self.console.session_seconds,
        }

    def _groups(self, claims: Mapping[str, Any]) -> tuple[str, ...]:
        groups = groups_at(claims, self.claims.groups_claim)
        if groups is None:
            # Groups grant permissions: a claim we cannot read signs nobody in rather than half-used.
            raise SignInFailed("malformed groups claim")
        return groups

    def identity(self, session: Mapping[str, Any]) -> Identity | None:
        """The signed-in user, or None (never signed in, signed out, or the sign-in expired)."""
        user = session.get("user")
        if not isinstance(user, dict):
            return None
        until = user.get("until")
        if not isinstance(until, float | int) or until <= time.time():
            return None
        return Identity(
            subject=str(user["sub"]),
            issuer=self.issuer,
            groups=tuple(str(group) for group in user.get("groups", [])),
            expires_at=float(until),
        )

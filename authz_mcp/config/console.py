"""The `console:` section: the web console's client at the identity provider."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ConsoleConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # The OpenID provider the console signs people in with (its discovery document is read from
    # `<issuer>/.well-known/openid-configuration`); unset: the first `auth.jwt` issuer.
    issuer: str | None = None
    client_id: str = Field(min_length=1)
    # A confidential client (use "${ENV_VAR}" to keep it out of the file).
    client_secret: str = Field(min_length=1)
    scopes: tuple[str, ...] = ("openid", "profile")
    # How long a console sign-in lasts, whatever the provider's own session does.
    session_seconds: int = Field(default=8 * 3600, ge=60, le=7 * 86_400)

"""The console's "My tokens": personal tokens made, listed and revoked through the token
service, the same rules as the CLI and `/api/tokens`. A new token is shown once, in the
answer to the POST that made it: never in a URL, never stored, never logged."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from authz_mcp.auth.identity import Identity
from authz_mcp.console.views import scope_choices
from authz_mcp.errors import GatewayError
from authz_mcp.proxy.gateway import Gateway
from authz_mcp.tokens import TokenService

DAY = 86_400
_TOKEN_ID = re.compile(r"[0-9a-f]{16}")
Render = Callable[..., Response]


class TokenPages:
    def __init__(self, gateway: Gateway, tokens: TokenService, templates: Jinja2Templates) -> None:
        self.gateway = gateway
        self.tokens = tokens
        self.templates = templates

    @property
    def lifetimes(self) -> list[int]:
        """Expiry choices in days, within the configured maximum."""
        longest = self.tokens.settings.max_lifetime_days
        return [days for days in (1, 7, 30, 90, 365) if days <= longest] or [longest]

    async def choices(self, identity: Identity) -> list[str]:
        return scope_choices(await self.gateway.view_for(identity))

    async def listed(self, identity: Identity) -> list[dict[str, Any]]:
        now = time.time()
        records = await self.tokens.list_tokens(identity.subject)
        return [record.public(now) for record in sorted(records, key=lambda r: -r.created_at)]

    async def create(
        self, request: Request, identity: Identity, form: Mapping[str, list[str]], render: Render
    ) -> Response:
        allowed = set(await self.choices(identity))
        picked = [scope for scope in form.get("scope", []) if scope in allowed]
        name = form.get("name", [""])[0].strip()
        try:
            days = int(form.get("days", ["30"])[0])
            issued = await self.tokens.create(
                owner=identity.subject,
                created_by=identity.subject,
                name=name,
                scopes=picked or None,
                lifetime_seconds=days * DAY,
            )
        except (ValueError, GatewayError) as exc:
            self._audit(identity, "console/tokens/create", False, str(exc), None)
            return render(request, "error.html", 400, message=_public(exc))
        self._audit(identity, "console/tokens/create", True, "own token", issued.record.token_id)
        mcp_url = self.gateway.config.server.mcp_url
        client_config = {
            "mcpServers": {
                "authz-mcp": {"url": mcp_url, "headers": {"Authorization": f"Bearer {issued.token}"}}
            }
        }
        return render(
            request,
            "token_created.html",
            user=identity,
            token=issued.token,
            record=issued.record.public(time.time()),
            mcp_url=mcp_url,
            client_config=json.dumps(client_config, indent=2),
        )

    async def revoke(self, identity: Identity, token_id: str) -> None:
        """Revokes the user's own token; another user's or an unknown id changes nothing."""
        if not _TOKEN_ID.fullmatch(token_id):
            return
        try:
            await self.tokens.revoke(token_id, identity.subject)
        except GatewayError as exc:
            self._audit(identity, "console/tokens/revoke", False, str(exc), token_id)
            return
        self._audit(identity, "console/tokens/revoke", True, "revoked", token_id)

    def _audit(self, identity: Identity, method: str, allowed: bool, reason: str, item: str | None) -> None:
        self.gateway.audit.record(
            identity=identity,
            session=None,
            method=method,
            allowed=allowed,
            reason=reason,
            item=item,
            owner=identity.subject,
        )


def _public(exc: Exception) -> str:
    if isinstance(exc, GatewayError):
        return exc.detail or exc.public_message
    return "The expiry must be a number of days."

"""The self-service personal token API: `/api/tokens` (described at `/api/openapi.json`).

Users authenticate with their identity provider's token, as on the MCP endpoint, and create,
list and revoke their own personal tokens. Token administrators, those whose policy allows
`manage` on `authz-mcp/tokens`, may list and revoke anyone's. A personal token cannot use this
API: a leaked one must not be able to mint more, or outlive its own expiry.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from authz_mcp.auth.authenticator import Authenticator
from authz_mcp.auth.challenge import resource_metadata_url, www_authenticate
from authz_mcp.auth.identity import Identity
from authz_mcp.errors import (
    AdminRequired,
    AuthenticationError,
    BodyTooLarge,
    GatewayError,
    InsufficientScope,
    InvalidRequest,
    InvalidTokenRequest,
    MethodNotAllowed,
    PersonalTokenNotAccepted,
    TokenNotFound,
    UnsupportedMediaType,
    api_error_body,
)
from authz_mcp.http.asgi import (
    Receive,
    Scope,
    Send,
    declared_too_large,
    read_body,
    send_json,
)
from authz_mcp.http.credentials import authenticate
from authz_mcp.http.tokens_openapi import openapi_document
from authz_mcp.observability.audit import AuditLog
from authz_mcp.policy import PolicyEngine
from authz_mcp.policy.actions import MANAGE, TOKENS_OBJECT
from authz_mcp.proxy.gateway import Gateway
from authz_mcp.tokens import PAT_ISSUER, TokenRecord, TokenService

MAX_BODY_BYTES = 16 * 1024
_TOKEN_ID = re.compile(r"[0-9a-f]{16}")


class CreateTokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(default="", max_length=100)
    scopes: list[str] | None = None
    expires_in: int | None = Field(default=None, ge=1)
    """Seconds until the token expires; the configured default when left out."""


class TokensApi:
    def __init__(
        self,
        tokens: TokenService,
        authenticator: Authenticator,
        policy: Callable[[], PolicyEngine],
        audit: AuditLog,
        *,
        resource_metadata_url: str,
        required_scopes: tuple[str, ...] = (),
    ) -> None:
        self.tokens = tokens
        self.authenticator = authenticator
        self.policy = policy
        self.audit = audit
        self.resource_metadata_url = resource_metadata_url
        self.required_scopes = required_scopes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            status, body, headers = await self._serve(Request(scope, receive))
        except (AuthenticationError, InsufficientScope) as exc:
            challenge = www_authenticate(exc, self.resource_metadata_url, self.required_scopes)
            await _send_error(send, exc, {"WWW-Authenticate": challenge})
        except MethodNotAllowed as exc:
            allowed = "GET, DELETE" if "token_id" in scope.get("path_params", {}) else "GET, POST"
            await _send_error(send, exc, {"Allow": allowed})
        except GatewayError as exc:
            await _send_error(send, exc)
        else:
            await send_json(send, status, body, headers)

    async def _serve(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        identity = await authenticate(self.authenticator, request.scope)
        if identity.issuer == PAT_ISSUER:
            raise PersonalTokenNotAccepted()
        token_id = request.path_params.get("token_id")
        if token_id is None:
            if request.method == "GET":
                return await self._list(request, identity)
            if request.method == "POST":
                return await self._create(request, identity)
        elif request.method == "GET":
            return 200, _shown(await self._lookup(identity, token_id)), {}
        elif request.method == "DELETE":
            return await self._revoke(identity, token_id)
        raise MethodNotAllowed()

    async def _create(self, request: Request, identity: Identity) -> tuple[int, Any, dict[str, str]]:
        body = await _json_body(request)
        try:
            wanted = CreateTokenRequest.model_validate(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "body"
            raise InvalidTokenRequest(f"{where}: {first['msg']}") from exc
        issued = await self.tokens.create(
            owner=identity.subject,
            created_by=identity.subject,
            name=wanted.name,
            scopes=wanted.scopes,
            lifetime_seconds=wanted.expires_in,
        )
        self._audit(identity, "tokens/create", True, "own token", issued.record)
        # RFC 6749 §5.1's rule for responses carrying a credential: never cached.
        headers = {"Cache-Control": "no-store", "Location": f"/api/tokens/{issued.record.token_id}"}
        return 201, {"token": issued.token, **_shown(issued.record)}, headers

    async def _list(self, request: Request, identity: Identity) -> tuple[int, Any, dict[str, str]]:
        everyone = request.query_params.get("all") == "true"
        owner = None if everyone else request.query_params.get("owner", identity.subject)
        if owner != identity.subject:
            self._require_admin(identity, "tokens/list")
        records = await self.tokens.list_tokens(owner)
        return 200, {"tokens": [_shown(record) for record in records]}, {}

    async def _revoke(self, identity: Identity, token_id: str) -> tuple[int, Any, dict[str, str]]:
        record = await self._lookup(identity, token_id)
        if record.owner != identity.subject:
            self._require_admin(identity, "tokens/revoke")
        record = await self.tokens.revoke(record.token_id, None)
        self._audit(identity, "tokens/revoke", True, "revoked", record)
        return 200, _shown(record), {}

    async def _lookup(self, identity: Identity, token_id: str) -> TokenRecord:
        """The token if it is the caller's, or if the caller administers tokens; otherwise
        TokenNotFound, so that nobody learns which ids exist."""
        if not _TOKEN_ID.fullmatch(token_id):
            raise TokenNotFound()
        record = await self.tokens.get(token_id, None)
        if record.owner != identity.subject and not self._is_admin(identity):
            raise TokenNotFound()
        return record

    def _is_admin(self, identity: Identity) -> bool:
        return self.policy().decider(identity.subjects).decide(TOKENS_OBJECT, MANAGE).allowed

    def _require_admin(self, identity: Identity, method: str) -> None:
        decision = self.policy().decider(identity.subjects).decide(TOKENS_OBJECT, MANAGE)
        self.audit.record(
            identity=identity, session=None, method=method, allowed=decision.allowed, reason=decision.reason
        )
        if not decision.allowed:
            raise AdminRequired()

    def _audit(
        self, identity: Identity, method: str, allowed: bool, reason: str, record: TokenRecord
    ) -> None:
        self.audit.record(
            identity=identity,
            session=None,
            method=method,
            allowed=allowed,
            reason=reason,
            item=record.token_id,
            owner=record.owner,
        )


def token_api_routes(gateway: Gateway, authenticator: Authenticator, tokens: TokenService) -> list[Route]:
    """The API's routes: the OpenAPI document (public) and the token resources."""
    config = gateway.config
    api = TokensApi(
        tokens,
        authenticator,
        lambda: gateway.policy,  # read on each request: a policy reload swaps it
        gateway.audit,
        resource_metadata_url=resource_metadata_url(config),
        required_scopes=config.auth.required_scopes,
    )
    document = openapi_document(config.server.base_url)

    async def openapi(request: Request) -> Response:
        return JSONResponse(document)

    return [
        Route("/api/openapi.json", openapi, methods=["GET"]),
        Route("/api/tokens", api),
        Route("/api/tokens/{token_id}", api),
    ]


def _shown(record: TokenRecord) -> dict[str, Any]:
    return record.public(time.time())


async def _json_body(request: Request) -> Any:
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise UnsupportedMediaType()
    if declared_too_large(request.scope, MAX_BODY_BYTES):
        raise BodyTooLarge()
    try:
        body = await read_body(request.receive, MAX_BODY_BYTES)
    except InvalidRequest as exc:
        raise InvalidTokenRequest("client disconnected") from exc
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise InvalidTokenRequest("the body is not valid JSON") from exc


async def _send_error(send: Send, error: GatewayError, headers: dict[str, str] | None = None) -> None:
    status = error.http_status if error.http_status >= 400 else 400
    await send_json(send, status, api_error_body(error), {**error.headers(), **(headers or {})})

"""The OpenAPI 3.1 description of the personal token API, served at `/api/openapi.json`."""

from __future__ import annotations

from typing import Any

from authz_mcp import __version__

_ERROR_CODES = [
    "invalid_request",
    "unsupported_media_type",
    "too_large",
    "unauthorized",
    "invalid_token",
    "insufficient_scope",
    "personal_token_not_allowed",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "too_many_tokens",
    "unavailable",
]

_SCHEMAS: dict[str, Any] = {
    "CreateTokenRequest": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "maxLength": 100, "description": "A label for the token."},
            "scopes": {
                "type": ["array", "null"],
                "items": {"type": "string"},
                "minItems": 1,
                "maxItems": 50,
                "description": "Object patterns (`demo/tools/*`) that narrow what the token may do "
                "to part of what its owner may do; `*` may only end a pattern. Left out: no "
                "narrowing.",
            },
            "expires_in": {
                "type": "integer",
                "minimum": 60,
                "description": "Seconds until expiry, at most the configured maximum lifetime; "
                "the configured default when left out.",
            },
        },
    },
    "Token": {
        "type": "object",
        "required": ["id", "owner", "name", "scopes", "status", "created_at", "expires_at"],
        "properties": {
            "id": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
            "owner": {"type": "string"},
            "name": {"type": "string"},
            "scopes": {"type": ["array", "null"], "items": {"type": "string"}},
            "status": {"enum": ["active", "expired", "revoked"]},
            "created_at": {"type": "string", "format": "date-time"},
            "expires_at": {"type": "string", "format": "date-time"},
            "last_used_at": {"type": ["string", "null"], "format": "date-time"},
            "revoked_at": {"type": ["string", "null"], "format": "date-time"},
            "created_by": {"type": "string"},
        },
    },
    "CreatedToken": {
        "allOf": [
            {"$ref": "#/components/schemas/Token"},
            {
                "type": "object",
                "required": ["token"],
                "properties": {
                    "token": {
                        "type": "string",
                        "pattern": "^amcp_[A-Za-z0-9_-]{43}$",
                        "description": "The secret, shown this once; use it as `Authorization: Bearer`.",
                    }
                },
            },
        ]
    },
    "TokenList": {
        "type": "object",
        "required": ["tokens"],
        "properties": {"tokens": {"type": "array", "items": {"$ref": "#/components/schemas/Token"}}},
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"enum": _ERROR_CODES}, "message": {"type": "string"}},
            }
        },
    },
}


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def _errors(*statuses: str) -> dict[str, Any]:
    described = {
        "400": "Invalid request body or parameters (`invalid_request`).",
        "401": "Missing or unusable credentials (`unauthorized`, `invalid_token`); carries WWW-Authenticate.",
        "403": "`insufficient_scope`, `personal_token_not_allowed`, or `forbidden` (administrators only).",
        "404": "No such token, or another user's (`not_found`).",
        "409": "The user already has the maximum number of active tokens (`too_many_tokens`).",
        "415": "The body must be application/json (`unsupported_media_type`).",
        "503": "The token store is unavailable (`unavailable`); retry.",
    }
    return {status: {"description": described[status], "content": _json("Error")} for status in statuses}


def openapi_document(base_url: str) -> dict[str, Any]:
    token_id = {"name": "token_id", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "authz-mcp personal access tokens",
            "version": __version__,
            "description": "Create, list and revoke personal access tokens for the MCP gateway. "
            "Authenticate with an access token from your identity provider; personal tokens "
            "cannot manage tokens. Administrators (policy: `manage` on `authz-mcp/tokens`) may "
            "list and revoke anyone's tokens.",
        },
        "servers": [{"url": base_url}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _SCHEMAS,
        },
        "paths": {
            "/api/tokens": {
                "post": {
                    "summary": "Create a personal token for yourself",
                    "requestBody": {"required": True, "content": _json("CreateTokenRequest")},
                    "responses": {
                        "201": {"description": "Created", "content": _json("CreatedToken")},
                        **_errors("400", "401", "403", "409", "415", "503"),
                    },
                },
                "get": {
                    "summary": "List your tokens (administrators: `?owner=<user>` or `?all=true`)",
                    "parameters": [
                        {"name": "owner", "in": "query", "schema": {"type": "string"}},
                        {"name": "all", "in": "query", "schema": {"enum": ["true"]}},
                    ],
                    "responses": {
                        "200": {"description": "Tokens, oldest first", "content": _json("TokenList")},
                        **_errors("401", "403", "503"),
                    },
                },
            },
            "/api/tokens/{token_id}": {
                "parameters": [token_id],
                "get": {
                    "summary": "One of your tokens (administrators: anyone's)",
                    "responses": {
                        "200": {"description": "The token", "content": _json("Token")},
                        **_errors("401", "403", "404", "503"),
                    },
                },
                "delete": {
                    "summary": "Revoke a token; it stops working on the next request (idempotent)",
                    "responses": {
                        "200": {"description": "The revoked token", "content": _json("Token")},
                        **_errors("401", "403", "404", "503"),
                    },
                },
            },
        },
    }

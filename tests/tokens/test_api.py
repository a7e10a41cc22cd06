"""The self-service token API on a real gateway: users manage their own tokens with their
identity provider's token; token administrators (policy: `manage` on `authz-mcp/tokens`)
manage anyone's. Errors are JSON with stable codes, never a 500."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.tokens.conftest import PatGateway
from tests.tokens.wire import api, error_code, initialize

DAY = 86_400


def create(gateway: PatGateway, user: str, **body: Any) -> dict[str, Any]:
    response = api("POST", gateway.api, gateway.jwt(user), body)
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    return dict(response.json())


def test_user_creates_uses_lists_and_revokes_a_token(pat_gateway: PatGateway) -> None:
    alice = pat_gateway.jwt("alice")

    created = create(pat_gateway, "alice", name="laptop", scopes=["demo/tools/*"], expires_in=7 * DAY)
    assert created["owner"] == "alice"
    assert created["status"] == "active"
    assert created["scopes"] == ["demo/tools/*"]
    assert initialize(pat_gateway.url, created["token"]).status_code == 200

    listed = api("GET", pat_gateway.api, alice).json()["tokens"]
    mine = next(shown for shown in listed if shown["id"] == created["id"])
    assert "token" not in mine
    assert mine["last_used_at"] is not None
    assert {shown["owner"] for shown in listed} == {"alice"}

    revoked = api("DELETE", f"{pat_gateway.api}/{created['id']}", alice)
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert initialize(pat_gateway.url, created["token"]).status_code == 401
    again = api("DELETE", f"{pat_gateway.api}/{created['id']}", alice)
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]


def test_another_users_token_is_not_found(pat_gateway: PatGateway) -> None:
    created = create(pat_gateway, "alice")
    bob = pat_gateway.jwt("bob")

    for method in ("GET", "DELETE"):
        response = api(method, f"{pat_gateway.api}/{created['id']}", bob)
        assert (response.status_code, error_code(response)) == (404, "not_found")
    assert initialize(pat_gateway.url, created["token"]).status_code == 200


@pytest.mark.parametrize("query", ["?all=true", "?owner=alice"])
def test_only_token_administrators_list_other_users_tokens(pat_gateway: PatGateway, query: str) -> None:
    response = api("GET", pat_gateway.api + query, pat_gateway.jwt("bob"))

    assert (response.status_code, error_code(response)) == (403, "forbidden")


def test_token_administrator_lists_and_revokes_anyones_token(pat_gateway: PatGateway) -> None:
    bobs = create(pat_gateway, "bob", name="bob's")
    carol = pat_gateway.jwt("carol")

    everyone = api("GET", f"{pat_gateway.api}?all=true", carol).json()["tokens"]
    of_bob = api("GET", f"{pat_gateway.api}?owner=bob", carol).json()["tokens"]
    revoked = api("DELETE", f"{pat_gateway.api}/{bobs['id']}", carol)

    assert bobs["id"] in {shown["id"] for shown in everyone}
    assert {shown["owner"] for shown in of_bob} == {"bob"}
    assert revoked.status_code == 200
    assert initialize(pat_gateway.url, bobs["token"]).status_code == 401
    decisions = [line for line in pat_gateway.process.audit() if line["method"] == "tokens/revoke"]
    assert decisions[-1]["user"] == "carol"
    assert decisions[-1]["owner"] == "bob"


def test_personal_token_cannot_manage_tokens(pat_gateway: PatGateway) -> None:
    created = create(pat_gateway, "carol")

    for method, body in (("GET", None), ("POST", {"name": "more"})):
        response = api(method, pat_gateway.api, created["token"], body)
        assert (response.status_code, error_code(response)) == (403, "personal_token_not_allowed")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"scopes": ["demo/*/echo"]}, "invalid_request"),
        ({"scopes": []}, "invalid_request"),
        ({"expires_in": 91 * DAY}, "invalid_request"),
        ({"expires_in": "30d"}, "invalid_request"),
        ({"name": 5}, "invalid_request"),
        ({"owner": "alice"}, "invalid_request"),
        (["not", "an", "object"], "invalid_request"),
    ],
    ids=["inner-star", "no-scopes", "too-long", "string-lifetime", "number-name", "unknown-field", "array"],
)
def test_invalid_create_requests_get_400(pat_gateway: PatGateway, body: Any, code: str) -> None:
    response = api("POST", pat_gateway.api, pat_gateway.jwt("bob"), body)

    assert (response.status_code, error_code(response)) == (400, code)


@pytest.mark.parametrize(
    ("method", "path", "headers", "content", "status", "code"),
    [
        ("POST", "", {"Content-Type": "application/json"}, b"{nope", 400, "invalid_request"),
        ("POST", "", {"Content-Type": "text/plain"}, b"{}", 415, "unsupported_media_type"),
        ("POST", "", {"Content-Type": "application/json"}, b" " * 20_000, 413, "too_large"),
        ("PUT", "", {}, b"", 405, "method_not_allowed"),
        ("POST", "/0123456789abcdef", {}, b"", 405, "method_not_allowed"),
        ("GET", "/not-an-id", {}, b"", 404, "not_found"),
        ("GET", "/0123456789abcdef", {}, b"", 404, "not_found"),
    ],
)
def test_malformed_requests_get_defined_errors(
    pat_gateway: PatGateway,
    method: str,
    path: str,
    headers: dict[str, str],
    content: bytes,
    status: int,
    code: str,
) -> None:
    response = httpx.request(
        method,
        pat_gateway.api + path,
        headers={"Authorization": f"Bearer {pat_gateway.jwt('bob')}", **headers},
        content=content,
        timeout=20,
    )

    assert (response.status_code, error_code(response)) == (status, code)


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-jwt"])
def test_unauthenticated_api_requests_get_401_with_the_challenge(
    pat_gateway: PatGateway, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = httpx.get(pat_gateway.api, headers=headers, timeout=20)

    assert response.status_code == 401
    assert error_code(response) == ("invalid_token" if authorization else "unauthorized")
    assert response.headers["www-authenticate"].startswith('Bearer resource_metadata="')


def test_openapi_document_describes_the_api(pat_gateway: PatGateway) -> None:
    response = httpx.get(f"{pat_gateway.process.base_url}/api/openapi.json", timeout=20)

    document = response.json()
    assert response.status_code == 200
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {"/api/tokens", "/api/tokens/{token_id}"}
    assert set(document["paths"]["/api/tokens/{token_id}"]) == {"parameters", "get", "delete"}
    created = document["components"]["schemas"]["CreatedToken"]
    assert json.dumps(created).count("amcp_") == 1

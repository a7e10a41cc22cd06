"""Personal access tokens: only a live token, exactly as issued, works; a token cannot mint or
manage tokens; nobody learns or touches another user's tokens through the API."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from authz_mcp.tokens import SqliteTokenStore, TokenRecord
from authz_mcp.tokens.secret import new_token, new_token_id, token_hash
from tests.security.conftest import INVALID_TOKEN_BODY, MODULE_TIMEOUT, Target, assert_no_leaks
from tests.support.gateway import wait_until

pytestmark = pytest.mark.timeout(MODULE_TIMEOUT)

NOT_FOUND = {"error": {"code": "not_found", "message": "Token not found"}}
PAT_REFUSED = {
    "error": {
        "code": "personal_token_not_allowed",
        "message": "Use a token from your identity provider to manage personal tokens",
    }
}
FORBIDDEN = {"error": {"code": "forbidden", "message": "Only token administrators may do this"}}


def _api(
    t: Target, method: str, path: str = "", token: str | None = None, body: Any = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = t.http.request(method, t.api + path, json=body, headers=headers)
    assert response.status_code < 500
    return response


def _issue(t: Target, owner: str, **body: Any) -> tuple[str, str]:
    """A new personal token of `owner`: (token, id)."""
    response = _api(t, "POST", token=t.token(owner), body={"name": "test", **body})
    assert response.status_code == 201, response.text
    created = response.json()
    return t.remember(created["token"]), created["id"]


def _initialize(t: Target, token: str) -> httpx.Response:
    headers = t.legacy_headers(token)
    params = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "x"}}
    response = t.http.post(
        t.url, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params}, headers=headers
    )
    assert response.status_code < 500
    return response


def _flip_last(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


VARIANTS: dict[str, Callable[[str], str]] = {
    "random, well formed": lambda real: "amcp_" + secrets.token_urlsafe(32)[:43],
    "truncated by one": lambda real: real[:-1],
    "one character more": lambda real: real + "A",
    "last character changed": _flip_last,
    "prefix in upper case": lambda real: "AMCP_" + real[5:],
    "secret in upper case": lambda real: "amcp_" + real[5:].upper(),
    "secret reversed": lambda real: "amcp_" + real[5:][::-1],
    "prefix only": lambda real: "amcp_",
    "prefix doubled": lambda real: "amcp_" + real,
    "without its prefix": lambda real: real[5:],
    "all zeros": lambda real: "amcp_" + "0" * 43,
    "hash of the token": lambda real: "amcp_" + token_hash(real)[:43],
    "character outside base64url": lambda real: real[:-1] + "!",
}


@pytest.fixture(scope="module")
def live(target: Target) -> tuple[str, str]:
    """A live personal token of mallory's, and its id."""
    return _issue(target, "mallory")


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_anything_but_the_token_as_issued_is_refused(
    target: Target, live: tuple[str, str], variant: str
) -> None:
    forged = target.remember(VARIANTS[variant](live[0]))
    response = _initialize(target, forged)
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN_BODY


def test_the_live_token_works(target: Target, live: tuple[str, str]) -> None:
    assert _initialize(target, live[0]).status_code == 200


def test_a_revoked_token_is_refused_like_one_never_issued(target: Target) -> None:
    token, token_id = _issue(target, "mallory")
    assert _initialize(target, token).status_code == 200
    assert _api(target, "DELETE", f"/{token_id}", target.token("mallory")).status_code == 200
    response = _initialize(target, token)
    assert (response.status_code, response.json()) == (401, INVALID_TOKEN_BODY)


async def test_an_expired_token_is_refused_like_one_never_issued(target: Target) -> None:
    token, now = target.remember(new_token()), time.time()
    store = SqliteTokenStore(str(target.state_db))
    await store.add(
        TokenRecord(new_token_id(), token_hash(token), "mallory", "old", None, now - 7200, now - 60, "cli")
    )
    await store.aclose()
    response = _initialize(target, token)
    assert (response.status_code, response.json()) == (401, INVALID_TOKEN_BODY)


def test_a_revoked_token_refusal_is_logged_with_owner_and_id(target: Target) -> None:
    token, token_id = _issue(target, "mallory")
    _api(target, "DELETE", f"/{token_id}", target.token("mallory"))
    before = len(target.gateway.log)
    assert _initialize(target, token).status_code == 401

    def lines() -> list[str]:
        return [line for line in target.gateway.log[before:] if 'reason="revoked personal token"' in line]

    wait_until(lambda: bool(lines()), 10, "the refusal line")
    assert f'token_id="{token_id}"' in lines()[0]
    assert 'subject="mallory"' in lines()[0]
    assert " WARNING " in lines()[0]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "", {"name": "minted by a token"}),
        ("GET", "", None),
        ("GET", "?all=true", None),
        ("GET", "/{own}", None),
        ("DELETE", "/{own}", None),
        ("GET", "/{other}", None),
        ("DELETE", "/{other}", None),
    ],
    ids=["create", "list", "list all", "show own", "revoke own", "show other's", "revoke other's"],
)
def test_a_personal_token_cannot_use_the_token_api(
    target: Target, live: tuple[str, str], method: str, path: str, body: Any
) -> None:
    _, others = _issue(target, "alice")
    token, own = _issue(target, "mallory")
    response = _api(target, method, path.format(own=own, other=others), token, body)
    assert (response.status_code, response.json()) == (403, PAT_REFUSED)
    assert _initialize(target, token).status_code == 200  # and it was not revoked


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_another_users_token_id_answers_like_an_unknown_one(target: Target, method: str) -> None:
    alices, alices_id = _issue(target, "alice")
    mallory = target.token("mallory")
    theirs = _api(target, method, f"/{alices_id}", mallory)
    unknown = _api(target, method, f"/{new_token_id()}", mallory)
    assert (theirs.status_code, theirs.json()) == (404, NOT_FOUND)
    assert (unknown.status_code, unknown.content) == (404, theirs.content)
    assert _initialize(target, alices).status_code == 200  # still alive


@pytest.mark.parametrize(
    "token_id",
    ["..%2Ftokens", "%2e%2e", "0123456789ABCDEF", "0123456789abcdeg", "0" * 17, "*", "%00", "' OR 1=1"],
)
def test_malformed_token_ids_answer_like_unknown_ones(target: Target, token_id: str) -> None:
    response = _api(target, "GET", f"/{token_id}", target.token("mallory"))
    assert response.status_code == 404


@pytest.mark.parametrize("query", ["?owner=alice", "?all=true", "?owner=mallory&owner=alice"])
def test_listing_other_users_tokens_needs_an_administrator(target: Target, query: str) -> None:
    response = _api(target, "GET", query, target.token("mallory"))
    assert (response.status_code, response.json()) == (403, FORBIDDEN)


def test_a_repeated_owner_parameter_is_read_once_for_both_check_and_use(target: Target) -> None:
    _issue(target, "alice")
    response = _api(target, "GET", "?owner=alice&owner=mallory", target.token("mallory"))
    assert response.status_code == 200
    assert {token["owner"] for token in response.json()["tokens"]} == {"mallory"}


def test_a_token_with_wider_scopes_still_cannot_exceed_its_owner(target: Target) -> None:
    token, _ = _issue(target, "mallory", scopes=["demo/tools/*", "web/tools/*"])
    session = target.open_session(token)
    reply = target.legacy(
        token, session, "tools/call", {"name": "web__delete_record", "arguments": {"id": "1"}}
    )
    assert reply.body["error"] == {"code": -32602, "message": "Unknown tool: web__delete_record"}


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "expires_in": 10**12},
        {"name": "x", "expires_in": 0},
        {"name": "x", "expires_in": "3600"},
        {"name": "x", "owner": "alice"},
        {"name": "x" * 101},
        {"name": "x", "scopes": "demo/tools/*"},
    ],
    ids=[
        "beyond the maximum lifetime",
        "zero lifetime",
        "lifetime as text",
        "for someone else",
        "long name",
        "scopes as text",
    ],
)
def test_token_requests_beyond_the_rules_are_refused(target: Target, body: dict[str, Any]) -> None:
    response = _api(target, "POST", token=target.token("mallory"), body=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


def test_no_token_reached_the_upstream_the_log_or_the_audit(target: Target) -> None:
    assert_no_leaks(target)

"""Session theft and fixation, in both eras: a session id is never proof of identity; another
user's session answers exactly as an unknown one, on every HTTP method, and stays intact."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.modern.wire import envelope, headers_for
from tests.security.conftest import INVALID_TOKEN_BODY, MODULE_TIMEOUT, Target, assert_no_leaks

pytestmark = pytest.mark.timeout(MODULE_TIMEOUT)

NOT_FOUND = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Session not found"}}
LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}


def _request(target: Target, method: str, token: str, session: str) -> httpx.Response:
    headers = target.legacy_headers(token, session)
    if method == "GET":
        headers["Accept"] = "text/event-stream"
        response = target.http.get(target.url, headers=headers)
    elif method == "DELETE":
        response = target.http.delete(target.url, headers=headers)
    else:
        response = target.http.post(target.url, content=json.dumps(LIST), headers=headers)
    assert response.status_code < 500
    return response


@pytest.fixture(scope="module")
def alice(target: Target) -> tuple[str, str]:
    token = target.token("alice")
    return token, target.open_session(token)


def _alive(target: Target, alice: tuple[str, str]) -> bool:
    token, session = alice
    return "result" in target.legacy(token, session, "tools/list").body


def _principal_id(target: Target, subject: str) -> str:
    return "~" + hashlib.sha256(f"{target.issuer.url}\x1f{subject}".encode()).hexdigest()


FOREIGN_IDS: dict[str, Callable[[Target, str], str]] = {
    "alice's session": lambda t, session: session,
    "alice's session in upper case": lambda t, session: session.upper(),
    "alice's session truncated": lambda t, session: session[:-1],
    "alice's session and a character": lambda t, session: session + "A",
    "a random id": lambda t, session: secrets.token_urlsafe(32),
    "alice's principal record": lambda t, session: _principal_id(t, "alice"),
    "mallory's own principal record": lambda t, session: _principal_id(t, "mallory"),
    "the store key of alice's session": lambda t, session: hashlib.sha256(session.encode()).hexdigest(),
    "a path": lambda t, session: "../" + session,
    "a very long id": lambda t, session: "s" * 8000,
}


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
@pytest.mark.parametrize("case", list(FOREIGN_IDS))
def test_a_session_not_ones_own_answers_as_unknown(
    target: Target, alice: tuple[str, str], case: str, method: str
) -> None:
    mallory = target.token("mallory")
    response = _request(target, method, mallory, FOREIGN_IDS[case](target, alice[1]))
    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert _alive(target, alice)


def test_the_session_owner_with_a_fresh_token_keeps_the_session(
    target: Target, alice: tuple[str, str]
) -> None:
    token, session = alice
    fresh = target.token("alice")
    assert fresh != token
    assert _request(target, "POST", fresh, session).status_code == 200


def test_the_owner_through_a_personal_token_is_another_principal(
    target: Target, alice: tuple[str, str]
) -> None:
    created = target.http.post(
        target.api, json={"name": "x"}, headers={"Authorization": f"Bearer {alice[0]}"}
    )
    token = target.remember(created.json()["token"])
    response = _request(target, "POST", token, alice[1])
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_a_session_with_a_refused_token_is_401_first(target: Target, alice: tuple[str, str]) -> None:
    expired = target.token("alice", expires_in=-3600)
    response = _request(target, "POST", expired, alice[1])
    assert (response.status_code, response.json()) == (401, INVALID_TOKEN_BODY)
    assert _alive(target, alice)


@pytest.mark.parametrize("chosen", ["attacker-chosen-id", "", "~" + "0" * 64])
def test_initialize_with_a_session_id_is_refused_fixation(target: Target, chosen: str) -> None:
    token = target.token("alice")
    params = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "x"}}
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params}
    headers = {**target.legacy_headers(token), "Mcp-Session-Id": chosen}
    response = target.http.post(target.url, content=json.dumps(body), headers=headers)
    if chosen:
        assert response.status_code == 400
        assert response.json()["error"]["code"] == -32600
    else:
        # An empty header is no session: a fresh one is minted, never the client's value.
        assert response.status_code == 200
        assert response.headers["mcp-session-id"] not in ("", chosen)


def test_every_initialize_mints_a_new_unguessable_session(target: Target) -> None:
    token = target.token("alice")
    sessions = {target.open_session(token) for _ in range(3)}
    assert len(sessions) == 3
    assert all(len(session) >= 43 for session in sessions)


def test_a_deleted_session_is_gone_for_its_owner_too(target: Target) -> None:
    token = target.token("alice")
    session = target.open_session(token)
    assert _request(target, "DELETE", token, session).status_code == 204
    response = _request(target, "POST", token, session)
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_a_modern_request_carrying_anothers_session_answers_as_unknown(
    target: Target, alice: tuple[str, str]
) -> None:
    mallory = target.token("mallory")
    params: dict[str, Any] = {"_meta": envelope()}
    headers = {**headers_for(mallory, "tools/list", params), "Mcp-Session-Id": alice[1]}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": params}
    response = target.http.post(target.url, content=json.dumps(body), headers=headers)
    # A session header makes it a handshake-era request, and the session is not mallory's.
    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert _alive(target, alice)


def test_a_modern_user_cannot_reach_anothers_principal_state(target: Target) -> None:
    # Sessionless: what the gateway keeps for a 2026-07-28 user is keyed on the token's
    # identity, so the same request as two users sees two views.
    alice_tools = {
        tool["name"] for tool in target.modern(target.token("alice"), "tools/list").body["result"]["tools"]
    }
    mallory_tools = {
        tool["name"] for tool in target.modern(target.token("mallory"), "tools/list").body["result"]["tools"]
    }
    assert "demo__delete_record" in alice_tools
    assert "demo__delete_record" not in mallory_tools


def test_a_get_stream_without_a_session_is_refused(target: Target) -> None:
    headers = {"Authorization": f"Bearer {target.token('alice')}", "Accept": "text/event-stream"}
    response = target.http.get(target.url, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] == {"code": -32600, "message": "Mcp-Session-Id header is required"}


def test_no_token_reached_the_upstream_the_log_or_the_audit(target: Target) -> None:
    assert_no_leaks(target)

"""List cursors and `requestState` are attacker-controlled input: only what the gateway issued,
to this user, for this list or request, is accepted; anything else is an invalid-params error."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from tests.security.conftest import MODULE_TIMEOUT, Reply, Target, assert_no_leaks

pytestmark = pytest.mark.timeout(MODULE_TIMEOUT)

INVALID_CURSOR = {"code": -32602, "message": "Invalid cursor"}
INVALID_STATE = {"code": -32602, "message": "Invalid requestState"}
ANSWER = {"role": "assistant", "content": {"type": "text", "text": "forty-two"}, "model": "m"}


def _flip(value: str, at: int) -> str:
    return value[:at] + ("A" if value[at] != "A" else "B") + value[at + 1 :]


@pytest.fixture(scope="module")
def mallory(target: Target) -> tuple[str, str]:
    token = target.token("mallory")
    return token, target.open_session(token)


@pytest.fixture(scope="module")
def cursor(target: Target, mallory: tuple[str, str]) -> str:
    """The second page of mallory's tools (she sees more than a page of 500)."""
    token, session = mallory
    value: str = target.legacy(token, session, "tools/list").body["result"]["nextCursor"]
    return value


def _list(target: Target, who: tuple[str, str], era: str, method: str, cursor: Any) -> Reply:
    token, session = who
    if era == "legacy":
        return target.legacy(token, session, method, {"cursor": cursor}, request_id=4)
    return target.modern(token, method, {"cursor": cursor}, request_id=4)


TAMPERED: dict[str, Callable[[str], Any]] = {
    "a character flipped in the payload": lambda c: _flip(c, 5),
    "a character flipped in the MAC": lambda c: _flip(c, len(c) - 3),
    "truncated": lambda c: c[:-4],
    "extended": lambda c: c + "AAAA",
    "random base64": lambda c: base64.urlsafe_b64encode(b"\x00" * 48).decode(),
    "a forged offset without a MAC": lambda c: base64.urlsafe_b64encode(b'["tools/list","x",0]').decode(),
    "empty": lambda c: "",
    "a number": lambda c: 500,
    "an object": lambda c: {"offset": 500},
    "too long": lambda c: c * 10,
    "not ASCII": lambda c: c[:-1] + "é",
}


@pytest.mark.parametrize("era", ["legacy", "modern"])
@pytest.mark.parametrize("case", list(TAMPERED))
def test_a_tampered_cursor_is_invalid_params(
    target: Target, mallory: tuple[str, str], cursor: str, era: str, case: str
) -> None:
    reply = _list(target, mallory, era, "tools/list", TAMPERED[case](cursor))
    assert (reply.status, reply.body) == (
        200 if era == "legacy" else 400,
        {"jsonrpc": "2.0", "id": 4, "error": INVALID_CURSOR},
    )


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_the_issued_cursor_gives_the_next_page_in_either_era(
    target: Target, mallory: tuple[str, str], cursor: str, era: str
) -> None:
    reply = _list(target, mallory, era, "tools/list", cursor)
    tools = reply.body["result"]["tools"]
    assert tools
    assert "nextCursor" not in reply.body["result"]


@pytest.mark.parametrize("method", ["prompts/list", "resources/list", "resources/templates/list"])
def test_a_cursor_for_another_list_is_invalid(
    target: Target, mallory: tuple[str, str], cursor: str, method: str
) -> None:
    assert _list(target, mallory, "legacy", method, cursor).body["error"] == INVALID_CURSOR


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_another_users_cursor_is_invalid(target: Target, mallory: tuple[str, str], era: str) -> None:
    alice = target.token("alice")
    alices_cursor = target.legacy(alice, target.open_session(alice), "tools/list").body["result"][
        "nextCursor"
    ]
    assert _list(target, mallory, era, "tools/list", alices_cursor).body["error"] == INVALID_CURSOR


# --- requestState (2026-07-28 multi-round-trip requests) -------------------------------------

# In front of a handshake-era upstream the gateway parks the upstream's request and issues the
# state itself; a 2026-07-28 upstream's own state is wrapped (the demo server issues none).
PARKED = "web__ask_model"
ASKERS = {"modern upstream": "demo__ask_model", "handshake-era upstream": PARKED}


def _ask(target: Target, token: str, tool: str, **extra: Any) -> Reply:
    return target.modern(token, "tools/call", {"name": tool, "arguments": {"question": "meaning?"}, **extra})


def _asked(target: Target, token: str, tool: str) -> tuple[str, str]:
    """Start a call that asks the client for input: the input request's key and the state."""
    result = _ask(target, token, tool).body["result"]
    assert result["resultType"] == "input_required"
    (key,) = result["inputRequests"]
    return key, result["requestState"]


STATE_TRICKS: dict[str, Callable[[str], str]] = {
    "a character flipped": lambda s: _flip(s, 4),
    "the MAC cut off": lambda s: s.split(".")[0],
    "opaque text": lambda s: "opaque-upstream-state",
    "an empty object and a short MAC": lambda s: "e30.AAAA",
    "large": lambda s: "x" * 40_000,
}


@pytest.mark.parametrize("case", list(STATE_TRICKS))
def test_a_tampered_request_state_is_invalid_params(target: Target, case: str) -> None:
    token = target.token("mallory")
    key, state = _asked(target, token, PARKED)
    reply = _ask(target, token, PARKED, inputResponses={key: ANSWER}, requestState=STATE_TRICKS[case](state))
    assert (reply.status, reply.body["error"]) == (400, INVALID_STATE)


@pytest.mark.parametrize("upstream", list(ASKERS))
@pytest.mark.parametrize("forged", ["opaque-upstream-state", "e30.AAAA", "x" * 40_000])
def test_a_forged_request_state_is_invalid_params_before_either_upstream(
    target: Target, upstream: str, forged: str
) -> None:
    reply = _ask(target, target.token("mallory"), ASKERS[upstream], inputResponses={}, requestState=forged)
    assert (reply.status, reply.body["error"]) == (400, INVALID_STATE)


def test_a_request_state_is_good_once_for_its_user_and_request(target: Target) -> None:
    tool = PARKED
    mallory = target.token("mallory")
    key, state = _asked(target, mallory, tool)
    retry = {"inputResponses": {key: ANSWER}, "requestState": state}

    by_alice = _ask(target, target.token("alice"), tool, **retry)
    assert (by_alice.status, by_alice.body["error"]) == (400, INVALID_STATE)
    on_another_tool = target.modern(
        mallory, "tools/call", {"name": "demo__echo", "arguments": {"text": "x"}, **retry}
    )
    assert (on_another_tool.status, on_another_tool.body["error"]) == (400, INVALID_STATE)
    by_eve = _ask(target, target.token("eve"), tool, **retry)
    assert (by_eve.status, by_eve.body["error"]) == (
        400,
        {"code": -32602, "message": f"Unknown tool: {tool}"},
    )

    done = _ask(target, mallory, tool, **retry)
    assert done.body["result"]["content"] == [{"type": "text", "text": "forty-two"}]
    replayed = _ask(target, mallory, tool, **retry)
    assert (replayed.status, replayed.body["error"]) == (400, INVALID_STATE)


def test_no_token_reached_the_upstream_the_log_or_the_audit(target: Target) -> None:
    assert_no_leaks(target)

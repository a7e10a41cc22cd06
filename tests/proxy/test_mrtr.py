"""requestState wrapping: what the gateway issued, to whom, for what, until when."""

from __future__ import annotations

import pytest

from authz_mcp.errors import InvalidParams
from authz_mcp.proxy.mrtr import STATE_TTL_SECONDS, RequestState, RequestStateCodec

KEY = b"k" * 32
STATE = RequestState("web", "tools/call", "ask_model", "upstream", "upstream-opaque-state")


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_wrapped_state_unwraps_for_its_principal_and_request() -> None:
    codec = RequestStateCodec(KEY)
    token = codec.wrap("alice", STATE)

    assert codec.unwrap(token, "alice", "tools/call", "ask_model") == STATE


@pytest.mark.parametrize(
    ("principal", "method", "item"),
    [
        ("bob", "tools/call", "ask_model"),
        ("alice", "prompts/get", "ask_model"),
        ("alice", "tools/call", "confirm_action"),
    ],
)
def test_a_state_is_bound_to_principal_method_and_item(principal: str, method: str, item: str) -> None:
    codec = RequestStateCodec(KEY)
    token = codec.wrap("alice", STATE)

    with pytest.raises(InvalidParams):
        codec.unwrap(token, principal, method, item)


def test_an_expired_state_is_rejected() -> None:
    clock = Clock()
    codec = RequestStateCodec(KEY, clock=clock)
    token = codec.wrap("alice", STATE)

    clock.now += STATE_TTL_SECONDS + 1

    with pytest.raises(InvalidParams):
        codec.unwrap(token, "alice", "tools/call", "ask_model")


@pytest.mark.parametrize("forged", [None, 7, "", "a.b.c", "no-dot", "!!!.!!!", "e30.e30", "x" * 300_000])
def test_malformed_states_are_invalid_params_never_a_crash(forged: object) -> None:
    with pytest.raises(InvalidParams):
        RequestStateCodec(KEY).unwrap(forged, "alice", "tools/call", "ask_model")


def test_a_state_minted_with_another_key_is_rejected() -> None:
    token = RequestStateCodec(b"other-key" * 4).wrap("alice", STATE)

    with pytest.raises(InvalidParams):
        RequestStateCodec(KEY).unwrap(token, "alice", "tools/call", "ask_model")

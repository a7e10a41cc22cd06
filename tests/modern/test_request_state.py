"""`requestState` is attacker-controlled input: the gateway accepts only what it issued,
to the user it issued it to, for the request it issued it for, once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.modern.conftest import Gateways
from tests.modern.wire import post
from tests.support.gateway import GatewayProcess

ASK = {"name": "demo__ask_model", "arguments": {"question": "meaning?"}}
ANSWER = {"role": "assistant", "content": {"type": "text", "text": "forty-two"}, "model": "m"}


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


class Asker:
    """Raw 2026-07-28 calls to one gateway as one user."""

    def __init__(
        self, http: httpx.AsyncClient, gateways: Gateways, gateway: GatewayProcess, user: str
    ) -> None:
        self.http, self.url = http, gateway.url
        self.token = gateways.issuer.issuer.mint(user, audience=gateway.url)

    async def call(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        status, reply, _ = await post(self.http, self.url, self.token, "tools/call", params)
        return status, reply


def _parked(gateways: Gateways, http: httpx.AsyncClient, user: str) -> Asker:
    """A user of the gateway in front of a legacy upstream: its questions are parked exchanges."""
    return Asker(http, gateways, gateways.get("legacy-http")[0], user)


async def _asked(bob: Asker) -> tuple[str, str]:
    """Start ask_model as bob: the input request's key and the state to retry with."""
    status, reply = await bob.call(ASK)
    assert status == 200
    result = reply["result"]
    assert result["resultType"] == "input_required"
    (key,) = result["inputRequests"]
    assert result["inputRequests"][key]["method"] == "sampling/createMessage"
    return key, result["requestState"]


async def test_the_issued_state_completes_the_call_once_and_a_replay_is_rejected(
    gateways: Gateways, http: httpx.AsyncClient
) -> None:
    bob = _parked(gateways, http, "bob")
    key, state = await _asked(bob)
    retry = {**ASK, "inputResponses": {key: ANSWER}, "requestState": state}
    status, reply = await bob.call(retry)
    assert status == 200
    assert reply["result"]["content"] == [{"type": "text", "text": "forty-two"}]
    status, reply = await bob.call(retry)
    assert (status, reply["error"]["code"]) == (400, -32602)


async def test_a_tampered_state_is_rejected(gateways: Gateways, http: httpx.AsyncClient) -> None:
    bob = _parked(gateways, http, "bob")
    key, state = await _asked(bob)
    payload, mac = state.split(".")
    tampered = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + mac
    status, reply = await bob.call({**ASK, "inputResponses": {key: ANSWER}, "requestState": tampered})
    assert (status, reply["error"]["code"]) == (400, -32602)


async def test_another_users_state_is_rejected(gateways: Gateways, http: httpx.AsyncClient) -> None:
    bob = _parked(gateways, http, "bob")
    alice = _parked(gateways, http, "alice")
    key, state = await _asked(bob)
    status, reply = await alice.call({**ASK, "inputResponses": {key: ANSWER}, "requestState": state})
    assert (status, reply["error"]["code"]) == (400, -32602)
    # Bob's own retry still works: the foreign attempt consumed nothing.
    status, reply = await bob.call({**ASK, "inputResponses": {key: ANSWER}, "requestState": state})
    assert status == 200


async def test_a_state_presented_on_another_request_is_rejected(
    gateways: Gateways, http: httpx.AsyncClient
) -> None:
    bob = _parked(gateways, http, "bob")
    key, state = await _asked(bob)
    other = {"name": "demo__confirm_action", "arguments": {"action": "x"}}
    status, reply = await bob.call({**other, "inputResponses": {key: ANSWER}, "requestState": state})
    assert (status, reply["error"]["code"]) == (400, -32602)


async def test_the_retry_is_authorized_again_before_its_state_is_looked_at(
    gateways: Gateways, http: httpx.AsyncClient
) -> None:
    bob = _parked(gateways, http, "bob")
    carol = _parked(gateways, http, "carol")
    key, state = await _asked(bob)
    status, reply = await carol.call({**ASK, "inputResponses": {key: ANSWER}, "requestState": state})
    assert (status, reply["error"]) == (400, {"code": -32602, "message": "Unknown tool: demo__ask_model"})


@pytest.mark.parametrize("kind", ["legacy-http", "modern-http"])
async def test_a_forged_state_is_rejected_in_front_of_either_upstream_era(
    gateways: Gateways, http: httpx.AsyncClient, kind: str
) -> None:
    bob = Asker(http, gateways, gateways.get(kind)[0], "bob")
    for forged in ("opaque-upstream-state", "e30.AAAA", "x" * 300_000):
        status, reply = await bob.call({**ASK, "inputResponses": {}, "requestState": forged})
        assert (status, reply["error"]["code"]) == (400, -32602)


async def test_a_state_from_another_gateway_is_rejected(gateways: Gateways, http: httpx.AsyncClient) -> None:
    _, state = await _asked(_parked(gateways, http, "bob"))
    elsewhere = Asker(http, gateways, gateways.get("modern-http")[0], "bob")
    status, reply = await elsewhere.call({**ASK, "inputResponses": {}, "requestState": state})
    assert (status, reply["error"]["code"]) == (400, -32602)

"""Capability sets: what the gateway declares upstream for a client, and what it relays to it."""

from __future__ import annotations

from typing import Any

import pytest

from authz_mcp.proxy.capsets import MOST_RELAYED, NO_CAPABILITIES, capset_of, declared, within_declared

SDK_CLIENT = {
    "sampling": {},
    "elicitation": {"form": {}, "url": {}},
    "roots": {"listChanged": True},
    "experimental": {"x": {}},
}


def test_a_client_declaring_nothing_relayable_has_the_empty_set() -> None:
    assert capset_of({}) == NO_CAPABILITIES
    assert capset_of({"experimental": {"x": {}}, "sampling": True}) == NO_CAPABILITIES
    assert declared(NO_CAPABILITIES) == {}


def test_sub_capabilities_pass_upstream_as_declared() -> None:
    assert declared(capset_of(SDK_CLIENT)) == {
        "sampling": {},
        "elicitation": {"form": {}, "url": {}},
        "roots": {"listChanged": True},
    }
    assert declared(capset_of(MOST_RELAYED)) == MOST_RELAYED


def test_sets_differing_in_a_sub_capability_are_distinct() -> None:
    form_only = capset_of({"elicitation": {"form": {}}})
    assert form_only != capset_of({"elicitation": {"form": {}, "url": {}}})
    assert form_only != capset_of({"elicitation": {}})


def test_values_the_specification_does_not_define_make_no_new_set() -> None:
    # A client cannot make the gateway keep a catalog per arbitrary value it declares.
    plain = capset_of({"sampling": {"tools": {}}, "roots": {}})
    assert capset_of({"sampling": {"tools": {"deep": [1, 2]}, "nonce": {"n": 1}}, "roots": {"x": 1}}) == plain
    assert capset_of({"roots": {"listChanged": "yes"}}) == capset_of({"roots": {}})


@pytest.mark.parametrize(
    ("capabilities", "method", "params", "relayed"),
    [
        ({"elicitation": {}}, "elicitation/create", {"message": "m"}, True),
        ({"elicitation": {}}, "elicitation/create", {"mode": "url", "url": "https://x"}, False),
        ({"elicitation": {"form": {}}}, "elicitation/create", {"mode": "url"}, False),
        ({"elicitation": {"url": {}}}, "elicitation/create", {"message": "m"}, False),
        ({"elicitation": {"form": {}, "url": {}}}, "elicitation/create", {"mode": "url"}, True),
        ({"sampling": {}}, "sampling/createMessage", {"messages": []}, True),
        ({"sampling": {}}, "sampling/createMessage", {"messages": [], "tools": []}, False),
        ({"sampling": {"tools": {}}}, "sampling/createMessage", {"messages": [], "tools": []}, True),
        ({"roots": {}}, "roots/list", None, True),
    ],
)
def test_a_request_is_relayed_only_within_what_the_client_declared(
    capabilities: dict[str, Any], method: str, params: Any, relayed: bool
) -> None:
    assert within_declared(capabilities, method, params) is relayed

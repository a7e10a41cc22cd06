"""A sampling request never asks the client for context, in any cell of the eras."""

from __future__ import annotations

from typing import Any

import pytest

from authz_mcp.proxy.relay import confined, confined_inputs

SAMPLE = {"messages": [], "maxTokens": 10}


@pytest.mark.parametrize("asked", ["allServers", "thisServer"])
def test_a_request_for_context_is_relayed_with_none(asked: str) -> None:
    assert confined("sampling/createMessage", {**SAMPLE, "includeContext": asked}) == {
        **SAMPLE,
        "includeContext": "none",
    }


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("sampling/createMessage", SAMPLE),
        ("sampling/createMessage", {**SAMPLE, "includeContext": "none"}),
        ("elicitation/create", {"message": "m", "includeContext": "allServers"}),
        ("sampling/createMessage", None),
    ],
)
def test_everything_else_goes_as_it_came(method: str, params: Any) -> None:
    assert confined(method, params) is params


def test_input_requests_of_an_mrtr_result_are_confined_each() -> None:
    requests = {
        "a": {"method": "sampling/createMessage", "params": {**SAMPLE, "includeContext": "allServers"}},
        "b": {"method": "elicitation/create", "params": {"message": "m"}},
        "c": "not a request",
    }
    assert confined_inputs(requests) == {
        "a": {"method": "sampling/createMessage", "params": {**SAMPLE, "includeContext": "none"}},
        "b": {"method": "elicitation/create", "params": {"message": "m"}},
        "c": "not a request",
    }

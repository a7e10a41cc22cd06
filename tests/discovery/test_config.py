"""The `discovery` config section: its defaults and what it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from authz_mcp.config import parse_config
from authz_mcp.discovery import uses_search
from authz_mcp.errors import ConfigError

BASE: dict[str, Any] = {"auth": {"personal_tokens": True}}


def test_discovery_defaults_to_full_listing_with_a_threshold_of_40() -> None:
    config = parse_config(BASE, environ={})
    assert config.discovery.mode == "full"
    assert config.discovery.search_threshold == 40
    assert not uses_search(config.discovery, 10_000)


@pytest.mark.parametrize(
    ("discovery", "path"),
    [
        ({"mode": "semantic"}, "discovery.mode"),
        ({"search_threshold": -1}, "discovery.search_threshold"),
        ({"treshold": 5}, "discovery.treshold"),
    ],
)
def test_bad_discovery_settings_are_refused_naming_the_key(discovery: dict[str, Any], path: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({**BASE, "discovery": discovery}, source="gateway.yaml", environ={})
    assert path in str(raised.value)


@pytest.mark.parametrize(
    ("mode", "permitted", "expected"),
    [
        ("search", 0, True),
        ("search", 500, True),
        ("auto", 40, False),
        ("auto", 41, True),
        ("full", 41, False),
    ],
)
def test_who_gets_search_mode(mode: str, permitted: int, expected: bool) -> None:
    config = parse_config({**BASE, "discovery": {"mode": mode, "search_threshold": 40}}, environ={})
    assert uses_search(config.discovery, permitted) is expected

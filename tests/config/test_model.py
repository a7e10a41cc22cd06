"""Defaults derived from other keys, and a config that cannot change once loaded."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from authz_mcp.config import Config, StdioUpstreamConfig, parse_config

STDIO = {"transport": "stdio", "command": "node", "env": {"LOG_LEVEL": "warn"}}


@pytest.mark.parametrize(
    ("server", "mcp_url"),
    [
        ({}, "http://127.0.0.1:8080/mcp"),
        ({"host": "0.0.0.0", "port": 9000}, "http://0.0.0.0:9000/mcp"),
        ({"host": "::1", "port": 8443}, "http://[::1]:8443/mcp"),
        ({"port": 9000, "public_url": "https://mcp.example.com"}, "https://mcp.example.com/mcp"),
        ({"public_url": "https://mcp.example.com/"}, "https://mcp.example.com/mcp"),
        ({"public_url": "https://example.com/gateway///"}, "https://example.com/gateway/mcp"),
    ],
)
def test_mcp_url_derives_from_public_url_or_host_and_port(server: dict[str, Any], mcp_url: str) -> None:
    assert parse_config({"server": server}, environ={}).server.mcp_url == mcp_url


def test_public_url_trailing_slash_is_stripped() -> None:
    config = parse_config({"server": {"public_url": "https://mcp.example.com/"}}, environ={})
    assert config.server.public_url == "https://mcp.example.com"


def test_jwt_audience_defaults_to_the_mcp_url() -> None:
    config = parse_config(
        {
            "server": {"public_url": "https://mcp.example.com/"},
            "auth": {
                "jwt": [{"issuer": "https://a.example"}, {"issuer": "https://b.example", "audience": "api"}]
            },
        },
        environ={},
    )
    first, second = config.auth.jwt
    assert config.audience_for(first) == "https://mcp.example.com/mcp"
    assert config.audience_for(second) == "api"


def test_upstream_name_is_the_default_prefix() -> None:
    config = parse_config(
        {
            "upstreams": {
                "plain": STDIO,
                "bare": {**STDIO, "prefix": ""},
                "custom": {**STDIO, "prefix": "gh", "separator": "."},
            }
        },
        environ={},
    )
    prefixes = {name: upstream.name_prefix(name) for name, upstream in config.upstreams.items()}
    assert prefixes == {"plain": "plain__", "bare": "", "custom": "gh."}


def test_embedded_defaults_need_no_file() -> None:
    config = parse_config(None, environ={})
    assert config.store.url == "memory://"
    assert config.auth.personal_tokens is True
    assert config.audit.path == "-"


def loaded() -> Config:
    return parse_config({"upstreams": {"a": STDIO}, "auth": {"jwt": {"issuer": "https://i"}}}, environ={})


@pytest.mark.parametrize(
    ("target", "field", "value"),
    [
        (lambda config: config, "server", None),
        (lambda config: config.server, "port", 1),
        (lambda config: config.auth, "personal_tokens", False),
        (lambda config: config.auth.jwt[0], "algorithms", ("HS256",)),
        (lambda config: config.policy, "file", "elsewhere/policy.csv"),
        (lambda config: config.upstreams["a"], "command", "rm"),
    ],
    ids=["config", "server", "auth", "jwt", "policy", "upstream"],
)
def test_config_fields_cannot_be_reassigned(target: Any, field: str, value: object) -> None:
    config = loaded()
    with pytest.raises(ValidationError):
        setattr(target(config), field, value)


def test_tuple_fields_cannot_be_mutated() -> None:
    config = loaded()
    with pytest.raises(AttributeError):
        config.auth.jwt[0].algorithms.append("HS256")  # type: ignore[attr-defined]


@pytest.mark.parametrize("mapping", ["upstreams", "env"])
def test_mapping_fields_cannot_be_mutated(mapping: str) -> None:
    config = loaded()
    upstream = config.upstreams["a"]
    assert isinstance(upstream, StdioUpstreamConfig)
    target: Any = config.upstreams if mapping == "upstreams" else upstream.env
    with pytest.raises(TypeError):
        target["injected"] = "value"

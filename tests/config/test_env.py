"""`${ENV_VAR}` expands in string values, so secrets stay out of the file (DESIGN §5)."""

from __future__ import annotations

from typing import Any

import pytest

from authz_mcp.config import HttpUpstreamConfig, StdioUpstreamConfig, parse_config
from authz_mcp.errors import ConfigError

ENVIRON = {"REMOTE_TOKEN": "s3cret", "HOST": "mcp.example.com", "LEVEL": "warn", "SCRIPT": "server.js"}


def upstreams(**entries: dict[str, Any]) -> dict[str, Any]:
    return {"upstreams": entries}


def test_variable_expands_inside_a_nested_string() -> None:
    data = upstreams(
        remote={
            "transport": "streamable-http",
            "url": "https://${HOST}/mcp",
            "headers": {"Authorization": "Bearer ${REMOTE_TOKEN}"},
        }
    )
    remote = parse_config(data, environ=ENVIRON).upstreams["remote"]
    assert isinstance(remote, HttpUpstreamConfig)
    assert remote.url == "https://mcp.example.com/mcp"
    assert remote.headers == {"Authorization": "Bearer s3cret"}


def test_variables_expand_inside_lists_and_mappings() -> None:
    data = upstreams(
        everything={
            "transport": "stdio",
            "command": "node",
            "args": ["path/${SCRIPT}", "stdio", "--level=${LEVEL}"],
            "env": {"LOG_LEVEL": "${LEVEL}"},
        }
    )
    everything = parse_config(data, environ=ENVIRON).upstreams["everything"]
    assert isinstance(everything, StdioUpstreamConfig)
    assert everything.args == ("path/server.js", "stdio", "--level=warn")
    assert everything.env == {"LOG_LEVEL": "warn"}


def test_several_variables_in_one_string_all_expand() -> None:
    config = parse_config({"server": {"public_url": "https://${HOST}/${LEVEL}"}}, environ=ENVIRON)
    assert config.server.public_url == "https://mcp.example.com/warn"


def test_expanded_value_is_not_expanded_again() -> None:
    environ = {"OUTER": "${INNER}", "INNER": "leaked"}
    config = parse_config({"store": {"key_prefix": "${OUTER}"}}, environ=environ)
    assert config.store.key_prefix == "${INNER}"


def test_expanded_string_is_validated_as_the_field_type() -> None:
    assert parse_config({"server": {"port": "${PORT}"}}, environ={"PORT": "9000"}).server.port == 9000


def test_text_that_is_not_a_reference_is_left_alone() -> None:
    config = parse_config({"store": {"key_prefix": "$HOME-{x}-$"}}, environ={})
    assert config.store.key_prefix == "$HOME-{x}-$"


def test_process_environment_is_used_when_no_environ_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHZ_MCP_TEST_PREFIX", "from-env:")
    config = parse_config({"store": {"key_prefix": "${AUTHZ_MCP_TEST_PREFIX}"}})
    assert config.store.key_prefix == "from-env:"


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"server": {"public_url": "https://${MISSING}"}}, "server.public_url"),
        (
            upstreams(
                r={"transport": "streamable-http", "url": "http://h/mcp", "headers": {"X": "${MISSING}"}}
            ),
            "upstreams.r.headers.X",
        ),
        (
            upstreams(a={"transport": "stdio", "command": "node", "args": ["x", "${MISSING}"]}),
            "upstreams.a.args.1",
        ),
        ({"auth": {"jwt": [{"issuer": "${MISSING}"}]}}, "auth.jwt.0.issuer"),
    ],
)
def test_unset_variable_is_an_error_naming_its_path_and_name(data: dict[str, Any], path: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(data, environ=ENVIRON)
    message = str(raised.value)
    assert path in message
    assert "MISSING" in message
    assert "\n" not in message

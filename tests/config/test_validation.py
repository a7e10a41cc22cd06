"""The config model rejects what it does not understand, naming the key's path (DESIGN §5)."""

from __future__ import annotations

from typing import Any

import pytest

from authz_mcp.config import JwtIssuerConfig, parse_config
from authz_mcp.errors import ConfigError

ISSUER = "https://idp.example.com/realms/acme"
STDIO = {"transport": "stdio", "command": "node"}
HTTP = {"transport": "streamable-http", "url": "http://127.0.0.1:3001/mcp"}
SSE = {"transport": "sse", "url": "http://127.0.0.1:3002/sse"}


def rejection(data: Any) -> str:
    with pytest.raises(ConfigError) as raised:
        parse_config(data, source="gateway.yaml", environ={})
    message = str(raised.value)
    assert message.startswith("gateway.yaml: ")
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"bogus": 1}, "bogus"),
        ({"server": {"hots": "127.0.0.1"}}, "server.hots"),
        ({"auth": {"jwt": {"issuer": ISSUER, "audiences": ["x"]}}}, "auth.jwt.audiences"),
        ({"auth": {"jwt": [{"issuer": ISSUER}, {"issuer": ISSUER, "kid": 1}]}}, "auth.jwt.1.kid"),
        ({"store": {"url": "memory://", "ttl": 3}}, "store.ttl"),
        ({"policy": {"files": "p.csv"}}, "policy.files"),
        ({"audit": {"path": "-", "level": "info"}}, "audit.level"),
    ],
)
def test_unknown_key_is_rejected_with_its_dotted_path(data: dict[str, Any], path: str) -> None:
    message = rejection(data)
    assert f"unknown key {path}" in message


@pytest.mark.parametrize("upstream", [STDIO, HTTP, SSE], ids=["stdio", "streamable-http", "sse"])
def test_unknown_key_inside_an_upstream_is_named_by_its_config_path(upstream: dict[str, str]) -> None:
    message = rejection({"upstreams": {"a": {**upstream, "foo": 1}}})
    assert message == "gateway.yaml: unknown key upstreams.a.foo"


@pytest.mark.parametrize("upstream", [STDIO, HTTP], ids=["stdio", "streamable-http"])
def test_unknown_key_inside_an_upstream_is_rejected(upstream: dict[str, str]) -> None:
    message = rejection({"upstreams": {"a": {**upstream, "foo": 1}}})
    assert "unknown key upstreams.a." in message
    assert message.endswith(".foo")


def test_sse_upstream_takes_a_url_and_headers_and_is_always_legacy() -> None:
    config = parse_config({"upstreams": {"a": {**SSE, "headers": {"X-Key": "k"}}}}, environ={})
    upstream = config.upstreams["a"]
    assert upstream.transport == "sse"
    assert dict(upstream.headers) == {"X-Key": "k"}
    assert upstream.protocol == "legacy"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"url": "ftp://host/sse"}, "upstreams.a.url"),
        ({"protocol": "modern"}, "upstreams.a.protocol"),
    ],
)
def test_sse_upstream_with_a_bad_url_or_a_modern_era_is_rejected(change: dict[str, str], path: str) -> None:
    assert path in rejection({"upstreams": {"a": {**SSE, **change}}})


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"servers": {"port": 1}}, "unknown key servers (did you mean 'server'?)"),
        (
            {"auth": {"jwt": {"issuer": ISSUER, "audiance": "x"}}},
            "unknown key auth.jwt.audiance (did you mean 'audience'?)",
        ),
        (
            {"upstreams": {"fs": {"trasport": "stdio", "command": "npx"}}},
            "unknown key upstreams.fs.trasport (did you mean 'transport'?)",
        ),
        (
            {"upstreams": {"fs": {"transport": "stdio", "comand": "npx"}}},
            "unknown key upstreams.fs.comand (did you mean 'command'?)",
        ),
        (
            {"upstreams": {"fs": {"transport": "stdi", "command": "npx"}}},
            "upstreams.fs.transport: 'stdi' is not one of stdio, streamable-http, sse"
            " (did you mean 'stdio'?)",
        ),
        ({"store": {"url": "memory://", "ttl": 3}}, "unknown key store.ttl"),
    ],
    ids=["section", "jwt-mapping", "transport-tag", "stdio-key", "tag-value", "no-near-miss"],
)
def test_a_misspelt_key_is_named_as_written_with_the_closest_known_key(
    data: dict[str, Any], expected: str
) -> None:
    assert rejection(data) == f"gateway.yaml: {expected}"


def test_an_upstream_without_transport_names_the_key_and_its_values() -> None:
    message = rejection({"upstreams": {"fs": {"command": "npx"}}})
    assert (
        message == "gateway.yaml: upstreams.fs: missing key 'transport' (one of stdio, streamable-http, sse)"
    )


def test_a_missing_required_key_is_named_under_its_parent_as_written() -> None:
    message = rejection({"auth": {"jwt": {"audience": "x"}}})
    assert message == "gateway.yaml: auth.jwt: missing key 'issuer'"


def test_unknown_transport_is_rejected_at_the_upstream() -> None:
    message = rejection({"upstreams": {"a": {"transport": "carrier-pigeon", "command": "x"}}})
    assert "upstreams.a" in message


@pytest.mark.parametrize("missing", ["command", "transport"])
def test_stdio_upstream_without_a_required_key_is_rejected(missing: str) -> None:
    upstream = {key: value for key, value in STDIO.items() if key != missing}
    assert "upstreams.a" in rejection({"upstreams": {"a": upstream}})


def test_jwt_as_a_single_mapping_is_one_issuer() -> None:
    config = parse_config({"auth": {"jwt": {"issuer": ISSUER, "jwks_url": f"{ISSUER}/certs"}}}, environ={})
    assert config.auth.jwt == (JwtIssuerConfig(issuer=ISSUER, jwks_url=f"{ISSUER}/certs"),)


def test_jwt_as_a_list_keeps_every_issuer_in_order() -> None:
    second = "https://login.example.org"
    config = parse_config({"auth": {"jwt": [{"issuer": ISSUER}, {"issuer": second}]}}, environ={})
    assert [issuer.issuer for issuer in config.auth.jwt] == [ISSUER, second]


def test_jwt_defaults_to_asymmetric_algorithms_and_standard_claims() -> None:
    (issuer,) = parse_config({"auth": {"jwt": {"issuer": ISSUER}}}, environ={}).auth.jwt
    assert issuer.algorithms == ("RS256", "ES256")
    assert issuer.subject_claim == "sub"
    assert issuer.groups_claim == "groups"


@pytest.mark.parametrize(
    "algorithms",
    [["HS256"], ["none"], ["RS256", "HS512"], ["None"], ["rs256"], []],
    ids=["hmac", "none", "hmac-among-good", "None", "lowercase", "empty"],
)
def test_unsafe_or_unknown_jwt_algorithm_is_rejected(algorithms: list[str]) -> None:
    message = rejection({"auth": {"jwt": {"issuer": ISSUER, "algorithms": algorithms}}})
    assert "auth.jwt.algorithms" in message


def test_bad_algorithm_in_the_second_issuer_names_that_issuer() -> None:
    message = rejection({"auth": {"jwt": [{"issuer": ISSUER}, {"issuer": ISSUER, "algorithms": ["HS256"]}]}})
    assert "auth.jwt.1.algorithms" in message


def test_no_way_to_authenticate_is_rejected() -> None:
    message = rejection({"auth": {"jwt": [], "personal_tokens": False}})
    assert "auth" in message


@pytest.mark.parametrize(
    "name",
    ["bad name", "-leading-dash", "_leading_underscore", "a.b", "a/b", "x" * 33, "émile"],
)
def test_bad_upstream_name_is_rejected(name: str) -> None:
    message = rejection({"upstreams": {name: STDIO}})
    assert "upstreams" in message
    assert repr(name) in message


@pytest.mark.parametrize("name", ["a", "A-1_b", "github", "x" * 32, "9lives"])
def test_good_upstream_name_is_accepted(name: str) -> None:
    assert list(parse_config({"upstreams": {name: STDIO}}, environ={}).upstreams) == [name]


@pytest.mark.parametrize(
    ("section", "value"),
    [
        ({"server": {"public_url": "ftp://example.com"}}, "server.public_url"),
        ({"server": {"public_url": "example.com"}}, "server.public_url"),
        ({"server": {"public_url": "https://example.com/?x=1"}}, "server.public_url"),
        ({"server": {"port": 70000}}, "server.port"),
        ({"store": {"url": "postgres://db"}}, "store.url"),
        ({"upstreams": {"r": {**HTTP, "url": "127.0.0.1:3001/mcp"}}}, "upstreams.r"),
    ],
)
def test_invalid_value_is_rejected_with_its_path(section: dict[str, Any], value: str) -> None:
    assert value in rejection(section)


@pytest.mark.parametrize("data", [[1, 2], "text", 3])
def test_top_level_that_is_not_a_mapping_is_rejected(data: object) -> None:
    with pytest.raises(ConfigError):
        parse_config(data, environ={})


def test_secret_key_shorter_than_32_characters_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"server\.secret_key"):
        parse_config({"server": {"secret_key": "too-short"}})
    assert parse_config({"server": {"secret_key": "k" * 32}}).server.secret_key == "k" * 32

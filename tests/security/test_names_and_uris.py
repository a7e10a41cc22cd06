"""Name and URI tricks: case, look-alikes, control characters, other upstreams' prefixes and
patterns name nothing; each answers exactly as a missing item and reaches no upstream."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.modern.wire import envelope, headers_for
from tests.security.conftest import MODULE_TIMEOUT, Reply, Target, assert_no_leaks

pytestmark = pytest.mark.timeout(MODULE_TIMEOUT)

# mallory may call demo__echo and web__* except web__delete_record and web__rotate_credentials.
TOOL_TRICKS = {
    "upper case": "WEB__DELETE_RECORD",
    "mixed case": "web__Delete_Record",
    "allowed tool in upper case": "DEMO__ECHO",
    "trailing space": "web__delete_record ",
    "leading space": " web__delete_record",
    "trailing NUL": "web__delete_record\x00",
    "trailing newline": "web__delete_record\n",
    "zero-width space": "web__delete_record\u200b",
    "Cyrillic e": "web__d\u0435lete_record",
    "Cyrillic o": "web__delete_rec\u043erd",
    "fullwidth letters": "\uff57\uff45\uff42__delete_record",
    "fullwidth low lines": "web\uff3f\uff3fdelete_record",
    "combining accent": "web__delete_re\u0301cord",
    "one underscore": "web_delete_record",
    "three underscores": "web___delete_record",
    "no prefix": "delete_record",
    "empty prefix": "__delete_record",
    "prefix only": "web__",
    "another upstream's prefix": "demo__web__delete_record",
    "the policy object": "web/tools/delete_record",
    "a star": "*",
    "a prefixed star": "web__*",
    "a partial star": "web__delete_*",
    "a regex": "web__.*",
    "a path": "web__../delete_record",
}
# demo://finance/payroll is hidden from mallory; demo://docs/* and demo://users/* are hers.
URI_TRICKS = {
    "scheme in upper case": "DEMO://finance/payroll",
    "host in upper case": "demo://FINANCE/payroll",
    "path in upper case": "demo://finance/PAYROLL",
    "trailing slash": "demo://finance/payroll/",
    "double slash": "demo://finance//payroll",
    "dot segment": "demo://finance/./payroll",
    "dot-dot from an allowed prefix": "demo://docs/../finance/payroll",
    "encoded dot-dot from an allowed prefix": "demo://docs/%2e%2e/finance/payroll",
    "encoded letter": "demo://finance/%70ayroll",
    "encoded NUL": "demo://finance/payroll%00",
    "NUL": "demo://finance/payroll\x00",
    "query": "demo://finance/payroll?x=1",
    "fragment": "demo://finance/payroll#top",
    "a star": "demo://finance/*",
    "just a star": "*",
    "Cyrillic a": "demo://finance/p\u0430yroll",
    "leading space": " demo://finance/payroll",
    "one slash": "demo:/finance/payroll",
    "no slashes": "demo:finance/payroll",
    "encoded slashes through an allowed template": "demo://users/..%2F..%2Ffinance%2Fpayroll/profile",
    "backslashes": "demo://docs\\..\\finance\\payroll",
}


def _mcp_name(value: str) -> str:
    """The Mcp-Name header for `value`: base64-wrapped when it is not plain printable ASCII."""
    if value.isascii() and value.isprintable() and value.strip() == value:
        return value
    return "=?base64?" + base64.b64encode(value.encode()).decode() + "?="


def _ask(target: Target, era: str, token: str, session: str, method: str, params: dict[str, Any]) -> Reply:
    if era == "legacy":
        return target.legacy(token, session, method, params, request_id=3)
    body_params = {**params, "_meta": envelope()}
    headers = headers_for(token, method, body_params)
    key = "name" if method == "tools/call" else "uri"
    headers["Mcp-Name"] = _mcp_name(params[key])
    body = {"jsonrpc": "2.0", "id": 3, "method": method, "params": body_params}
    return target.send(json.dumps(body).encode(), headers)


@pytest.fixture(scope="module")
def mallory(target: Target) -> tuple[str, str]:
    token = target.token("mallory")
    return token, target.open_session(token)


@pytest.mark.parametrize("era", ["legacy", "modern"])
@pytest.mark.parametrize("case", list(TOOL_TRICKS))
def test_a_tool_name_trick_is_an_unknown_tool(
    target: Target, mallory: tuple[str, str], era: str, case: str
) -> None:
    name = TOOL_TRICKS[case]
    reply = _ask(target, era, *mallory, "tools/call", {"name": name, "arguments": {"id": "1"}})
    error = {"code": -32602, "message": f"Unknown tool: {name}"}
    assert (reply.status, reply.body) == (
        200 if era == "legacy" else 400,
        {"jsonrpc": "2.0", "id": 3, "error": error},
    )


@pytest.mark.parametrize("era", ["legacy", "modern"])
@pytest.mark.parametrize("case", list(URI_TRICKS))
def test_a_uri_trick_is_a_missing_resource(
    target: Target, mallory: tuple[str, str], era: str, case: str
) -> None:
    uri = URI_TRICKS[case]
    reply = _ask(target, era, *mallory, "resources/read", {"uri": uri})
    error = {
        "code": -32002 if era == "legacy" else -32602,
        "message": "Resource not found",
        "data": {"uri": uri},
    }
    assert (reply.status, reply.body) == (
        200 if era == "legacy" else 400,
        {"jsonrpc": "2.0", "id": 3, "error": error},
    )


def test_no_trick_reached_the_upstream(target: Target) -> None:
    sent = target.spy.since(0)
    assert b"delete_record" not in sent
    assert b"delete_re" not in sent


def test_no_token_reached_the_upstream_the_log_or_the_audit(target: Target) -> None:
    assert_no_leaks(target)

"""Name and URI tricks: case, look-alikes, control characters, other upstreams' prefixes and
patterns name nothing; each answers exactly as a missing item and reaches no upstream.

On the vault, mallory may read `files://root/pub/*` but not `files://root/pub/internal/*`. The
vault percent-decodes and resolves dot segments itself, so each alias of the secret file would
read it if the gateway let it through: every one answers exactly as a missing resource, by every
method and in both eras, and nothing the vault would resolve to the file reaches it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.modern.wire import envelope, headers_for
from tests.security.conftest import MODULE_TIMEOUT, Reply, Target, assert_no_leaks
from tests.support.raw import parse_sse
from tests.support.vault_server import README_URI, recorded, resolve

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


# --- aliases of a denied file on the vault, which decodes and resolves paths itself ---------

ALIASES = [
    "files://root/pub/internal/canary.txt",
    "files://root/pub/./internal/canary.txt",
    "files://root/pub/x/../internal/canary.txt",
    "files://root/pub/x/%2e%2e/internal/canary.txt",
    "files://root/pub/%69nternal/canary.txt",
    "files://root/pub/internal%2Fcanary.txt",
    "files://root/pub/x%2F..%2Finternal/canary.txt",
    "files://root/pub/%2E/internal/canary.txt",
    "files://root/pub/;/../internal/canary.txt",
    "FILES://ROOT/pub/internal/canary.txt",
    "files://root/pub/x/.%2E/internal/canary.txt",
    "files://root/pub/x%5C..%5Cinternal/canary.txt",
    "files://root/pub/x\\..\\internal/canary.txt",
    "files://root/pub//internal/canary.txt",
    "files://root/pub/internal/canary.txt%00",
    "files://root/pub/internal/./canary.txt",
    "files://root/pub/INTERNAL/../internal/canary.txt",
]
PERMITTED = [
    "files://root/pub/./readme.txt",
    "FILES://root/pub/%72eadme.txt",
    "files://Root/pub/x/../readme.txt",
]


def _uri(uri: str) -> dict[str, Any]:
    return {"uri": uri}


def _completion(uri: str) -> dict[str, Any]:
    return {"ref": {"type": "ref/resource", "uri": uri}, "argument": {"name": "path", "value": ""}}


# method, era, how the URI is asked for
METHODS: dict[str, tuple[str, str, Callable[[str], dict[str, Any]]]] = {
    "read (2025)": ("resources/read", "legacy", _uri),
    "read (2026)": ("resources/read", "modern", _uri),
    "subscribe (2025)": ("resources/subscribe", "legacy", _uri),
    "complete (2026)": ("completion/complete", "modern", _completion),
}


def _ask_era(target: Target, who: tuple[str, str], era: str, method: str, params: dict[str, Any]) -> Reply:
    token, session = who
    if era == "legacy":
        return target.legacy(token, session, method, params, request_id=5)
    return target.modern(token, method, params, request_id=5)


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("alias", ALIASES)
def test_an_alias_of_a_denied_file_answers_as_a_missing_resource(
    target: Target, mallory: tuple[str, str], alias: str, method: str
) -> None:
    name, era, params = METHODS[method]
    reply = _ask_era(target, mallory, era, name, params(alias))
    code, status = (-32002, 200) if era == "legacy" else (-32602, 400)
    error = {"code": code, "message": "Resource not found", "data": {"uri": alias}}
    assert (reply.status, reply.body) == (status, {"jsonrpc": "2.0", "id": 5, "error": error})


@pytest.mark.parametrize("era", ["legacy", "modern"])
@pytest.mark.parametrize("alias", PERMITTED)
def test_an_alias_of_a_permitted_file_reads_it_under_its_canonical_uri(
    target: Target, mallory: tuple[str, str], alias: str, era: str
) -> None:
    reply = _ask_era(target, mallory, era, "resources/read", {"uri": alias})
    assert reply.status == 200
    assert reply.body["result"]["contents"][0]["text"] == "Public readme of the vault.\n"
    assert {"method": "resources/read", "uri": README_URI} in recorded(target.vault_record)


def test_listen_honours_no_alias_of_a_denied_file(target: Target) -> None:
    params = {"notifications": {"resourceSubscriptions": [README_URI, *ALIASES]}, "_meta": envelope()}
    body = {"jsonrpc": "2.0", "id": 9, "method": "subscriptions/listen", "params": params}
    headers = headers_for(target.token("mallory"), "subscriptions/listen", params)
    with target.http.stream("POST", target.url, content=json.dumps(body), headers=headers) as response:
        assert response.status_code == 200
        text = ""
        for chunk in response.iter_text():
            text += chunk
            if "\n\n" in text:
                break
    ack = parse_sse(text)[0]
    assert ack["params"]["notifications"] == {"resourceSubscriptions": [README_URI]}


def test_nothing_resolving_to_the_secret_file_reached_the_vault(target: Target) -> None:
    received = recorded(target.vault_record)
    assert received  # the vault did record the permitted reads
    assert [entry for entry in received if resolve(entry["uri"]) == "internal/canary.txt"] == []
    assert b"internal" not in target.vault_spy.since(0)  # not even in another spelling


def test_no_trick_reached_the_upstream(target: Target) -> None:
    sent = target.spy.since(0)
    assert b"delete_record" not in sent
    assert b"delete_re" not in sent


def test_no_token_reached_the_upstream_the_log_or_the_audit(target: Target) -> None:
    assert_no_leaks(target)

"""Hidden items, by every method and in both eras: a hidden tool, prompt, resource or template
answers exactly as a missing one (the same bytes but for the id and the name asked for), never
appears in a list, and is never sent to its upstream."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.modern.wire import envelope, headers_for
from tests.security.conftest import MODULE_TIMEOUT, Reply, Target, assert_no_leaks
from tests.support.raw import parse_sse

pytestmark = pytest.mark.timeout(MODULE_TIMEOUT)

Params = Callable[[str], dict[str, Any]]


def _tool(name: str) -> dict[str, Any]:
    return {"name": name, "arguments": {"id": "1"}}


def _prompt(name: str) -> dict[str, Any]:
    return {"name": name, "arguments": {"service": "api"}}


def _uri(uri: str) -> dict[str, Any]:
    return {"uri": uri}


def _complete_prompt(name: str) -> dict[str, Any]:
    return {"ref": {"type": "ref/prompt", "name": name}, "argument": {"name": "service", "value": ""}}


def _complete_resource(uri: str) -> dict[str, Any]:
    return {"ref": {"type": "ref/resource", "uri": uri}, "argument": {"name": "user_id", "value": ""}}


def _unknown_tool(name: str) -> dict[str, Any]:
    return {"code": -32602, "message": f"Unknown tool: {name}"}


def _unknown_prompt(name: str) -> dict[str, Any]:
    return {"code": -32602, "message": f"Unknown prompt: {name}"}


def _no_resource(uri: str) -> dict[str, Any]:
    return {"code": -32002, "message": "Resource not found", "data": {"uri": uri}}


# method, how to ask for a name, the error a missing one gets, hidden names, missing names
METHODS: dict[str, tuple[str, Params, Callable[[str], dict[str, Any]], list[str], list[str]]] = {
    "call": (
        "tools/call",
        _tool,
        _unknown_tool,
        [
            "demo__delete_record",
            "demo__rotate_credentials",
            "web__delete_record",
            "web__rotate_credentials",
            "vault__dump_secrets",
        ],
        ["demo__no_such_tool", "web__no_such_tool", "demo__summarize"],
    ),
    "get": (
        "prompts/get",
        _prompt,
        _unknown_prompt,
        ["demo__incident_report", "vault__vault_recovery"],
        ["demo__no_such_prompt", "demo__echo", "vault__no_such_prompt"],
    ),
    "read": (
        "resources/read",
        _uri,
        _no_resource,
        ["demo://finance/payroll", "files://root/pub/internal/canary.txt"],
        # Under mallory's demo://users/* and files://root/pub/*, but unknown to the upstream.
        ["demo://finance/nothing", "demo://users/no!such!user/profile", "files://root/pub/nothing.txt"],
    ),
    "subscribe": (
        "resources/subscribe",
        _uri,
        _no_resource,
        ["demo://finance/payroll", "files://root/pub/internal/canary.txt"],
        ["demo://finance/nothing"],
    ),
    "complete a prompt": (
        "completion/complete",
        _complete_prompt,
        _unknown_prompt,
        ["demo__incident_report"],
        ["demo__no_such_prompt"],
    ),
    "complete a resource": (
        "completion/complete",
        _complete_resource,
        _no_resource,
        ["demo://finance/payroll"],
        ["demo://finance/nothing"],
    ),
}
# 2026-07-28 has no resources/subscribe (subscriptions/listen is tested below).
MODERN_METHODS = [name for name in METHODS if name != "subscribe"]
CASES = [
    (era, kind, name, hidden)
    for era in ("legacy", "modern")
    for kind in (METHODS if era == "legacy" else MODERN_METHODS)
    for hidden, names in ((True, METHODS[kind][3]), (False, METHODS[kind][4]))
    for name in names
]


@pytest.fixture(scope="module")
def mallory(target: Target) -> tuple[str, str]:
    token = target.token("mallory")
    return token, target.open_session(token)


def _ask(target: Target, who: tuple[str, str], era: str, method: str, params: dict[str, Any]) -> Reply:
    token, session = who
    if era == "legacy":
        return target.legacy(token, session, method, params, request_id=7)
    return target.modern(token, method, params, request_id=7)


def _modern_code(error: dict[str, Any]) -> dict[str, Any]:
    # 2026-07-28 retires -32002: a missing resource is -32602 there, answered with HTTP 400.
    return {**error, "code": -32602}


@pytest.mark.parametrize(
    ("era", "kind", "name", "hidden"),
    CASES,
    ids=[f"{era}-{kind}-{'hidden' if hidden else 'missing'}-{name}" for era, kind, name, hidden in CASES],
)
def test_a_hidden_item_answers_exactly_as_a_missing_one(
    target: Target, mallory: tuple[str, str], era: str, kind: str, name: str, hidden: bool
) -> None:
    method, params, missing, _, _ = METHODS[kind]
    reply = _ask(target, mallory, era, method, params(name))
    error = missing(name)
    if era == "legacy":
        assert (reply.status, reply.body) == (200, {"jsonrpc": "2.0", "id": 7, "error": error})
    else:
        assert (reply.status, reply.body) == (400, {"jsonrpc": "2.0", "id": 7, "error": _modern_code(error)})


@pytest.mark.parametrize(
    ("era", "kind"), [("legacy", kind) for kind in METHODS] + [("modern", kind) for kind in MODERN_METHODS]
)
def test_hidden_and_missing_replies_are_the_same_bytes(
    target: Target, mallory: tuple[str, str], era: str, kind: str
) -> None:
    method, params, _, hidden, missing = METHODS[kind]
    token, session = mallory
    replies = []
    for name in (hidden[0], missing[0]):
        asked = params(name)
        if era == "legacy":
            headers = target.legacy_headers(token, session)
        else:
            asked["_meta"] = envelope()
            headers = headers_for(token, method, asked)
        body = {"jsonrpc": "2.0", "id": 7, "method": method, "params": asked}
        response = target.http.post(target.url, content=json.dumps(body), headers=headers)
        replies.append(
            (response.status_code, response.content.replace(json.dumps(name)[1:-1].encode(), b"<name>"))
        )
    assert replies[0] == replies[1]


def _listen_ack(target: Target, token: str, uris: list[str]) -> dict[str, Any]:
    """The acknowledgement that opens a subscriptions/listen stream."""
    params = {"notifications": {"resourceSubscriptions": uris}, "_meta": envelope()}
    body = {"jsonrpc": "2.0", "id": 9, "method": "subscriptions/listen", "params": params}
    headers = headers_for(token, "subscriptions/listen", params)
    with target.http.stream("POST", target.url, content=json.dumps(body), headers=headers) as response:
        assert response.status_code == 200
        text = ""
        for chunk in response.iter_text():
            text += chunk
            if "\n\n" in text:
                return parse_sse(text)[0]
    raise AssertionError("the listen stream ended before its acknowledgement")


@pytest.mark.parametrize(
    "uris",
    [
        ["demo://docs/readme", "demo://finance/payroll"],
        ["demo://docs/readme", "demo://finance/nothing"],
        ["demo://finance/payroll", "demo://docs/readme", "demo://finance/nothing"],
    ],
    ids=["hidden", "missing", "both"],
)
def test_listen_honours_neither_hidden_nor_missing_uris_alike(target: Target, uris: list[str]) -> None:
    ack = _listen_ack(target, target.token("mallory"), uris)
    assert ack["method"] == "notifications/subscriptions/acknowledged"
    assert ack["params"]["notifications"] == {"resourceSubscriptions": ["demo://docs/readme"]}


def test_a_hidden_template_answers_exactly_as_a_missing_one(target: Target) -> None:
    eve = target.token("eve")
    session = target.open_session(eve)
    answers = [
        target.legacy(eve, session, "completion/complete", _complete_resource(uri)).body
        for uri in ("demo://users/{user_id}/profile", "demo://users/{nobody}/profile")
    ]
    assert [answer["error"]["message"] for answer in answers] == ["Resource not found"] * 2
    assert answers[0]["error"]["code"] == answers[1]["error"]["code"] == -32002
    templates = target.legacy(eve, session, "resources/templates/list").body["result"]
    assert templates == {"resourceTemplates": []}


def _all_pages(target: Target, who: tuple[str, str], era: str, method: str, key: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(10):
        reply = _ask(target, who, era, method, {"cursor": cursor} if cursor else {})
        result = reply.body["result"]
        items += result[key]
        cursor = result.get("nextCursor")
        if cursor is None:
            return items
    raise AssertionError("more than ten pages")


LISTS = {
    "tools/list": (
        "tools",
        "name",
        {"demo__delete_record", "demo__rotate_credentials", "web__delete_record"},
    ),
    "prompts/list": ("prompts", "name", {"demo__incident_report"}),
    "resources/list": ("resources", "uri", {"demo://finance/payroll"}),
}


@pytest.mark.parametrize("era", ["legacy", "modern"])
@pytest.mark.parametrize("method", list(LISTS))
def test_lists_never_carry_a_hidden_item_on_any_page(
    target: Target, mallory: tuple[str, str], era: str, method: str
) -> None:
    key, field, hidden = LISTS[method]
    seen = {item[field] for item in _all_pages(target, mallory, era, method, key)}
    assert seen
    assert not seen & hidden
    if method == "tools/list":
        assert len([name for name in seen if name.startswith("demo__tool_")]) == 510


def test_no_hidden_item_ever_reached_its_upstream(target: Target, mallory: tuple[str, str]) -> None:
    token, session = mallory
    reply = target.legacy(token, session, "tools/call", {"name": "web__echo", "arguments": {"text": "seen"}})
    assert reply.body["result"]["content"] == [{"type": "text", "text": "seen"}]
    sent = target.spy.since(0)
    assert b'"name":"echo"' in sent  # what was allowed went through the spy
    for name in (b"delete_record", b"rotate_credentials"):
        assert name not in sent


def test_no_token_reached_the_upstream_the_log_or_the_audit(target: Target) -> None:
    assert_no_leaks(target)

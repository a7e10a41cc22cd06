"""A user's permitted view: visibility equals permission (DESIGN §4), decided once per view."""

from __future__ import annotations

from pathlib import Path

import pytest

from authz_mcp.auth.identity import Identity
from authz_mcp.policy import PolicyEngine
from authz_mcp.proxy.catalog import Kind
from authz_mcp.proxy.view import ACTION_FOR, PermittedView, build_view
from tests.proxy.catalogs import catalog, lists, prompt, resource, template, tool
from tests.support.upstreams import PROJECT_ROOT

MODEL = (Path(PROJECT_ROOT) / "policies" / "model.conf").read_text(encoding="utf-8")
POLICY = """\
p, role:viewer, a/tools/*, call, allow
p, role:viewer, a/tools/delete, call, deny
p, role:viewer, a/resources/demo://docs/*, read, allow
p, role:viewer, a/prompts/summarize, get, allow
p, role:admin, a/tools/*, call, allow
p, role:admin, a/prompts/*, get, allow
p, role:admin, a/resources/*, read, allow
p, role:finance, a/resources/demo://users/*, read, allow
p, role:auditor, a/resources/demo://audit/{day}, read, allow
g, alice, role:admin
g, bob, role:viewer
g, dave, role:auditor
g, group:finance, role:finance
"""
PROFILE = "demo://users/{user_id}/profile"
AUDIT = "demo://audit/{day}"

ENGINE = PolicyEngine.from_text(MODEL, POLICY)
CATALOG, _ = catalog(
    lists(
        "a",
        tools=[tool("echo"), tool("delete"), tool("export")],
        prompts=[prompt("summarize"), prompt("secret")],
        resources=[resource("demo://docs/readme"), resource("demo://finance/payroll")],
        templates=[template(PROFILE), template(AUDIT)],
    )
)


def view_for(subject: str, *groups: str, scopes: tuple[str, ...] | None = None) -> PermittedView:
    return build_view(
        CATALOG, ENGINE, Identity(subject, "https://idp.example.com", groups=groups, scopes=scopes)
    )


def visible(view: PermittedView) -> dict[str, set[str]]:
    return {kind.name.lower(): {entry.exposed for entry in view.visible[kind]} for kind in Kind}


NOTHING: dict[str, set[str]] = {"tools": set(), "prompts": set(), "resources": set(), "templates": set()}

VIEWS = [
    (
        "alice",
        (),
        {
            "tools": {"a__echo", "a__delete", "a__export"},
            "prompts": {"a__summarize", "a__secret"},
            "resources": {"demo://docs/readme", "demo://finance/payroll"},
            "templates": {PROFILE, AUDIT},
        },
    ),
    (
        "bob",
        (),
        {
            **NOTHING,
            "tools": {"a__echo", "a__export"},
            "prompts": {"a__summarize"},
            "resources": {"demo://docs/readme"},
        },
    ),
    ("carol", ("finance",), {**NOTHING, "templates": {PROFILE}}),
    ("dave", (), {**NOTHING, "templates": {AUDIT}}),
    ("mallory", (), NOTHING),
    ("mallory", ("unknown-group",), NOTHING),
]


@pytest.mark.parametrize(("subject", "groups", "expected"), VIEWS)
def test_each_user_sees_exactly_what_the_policy_allows(
    subject: str, groups: tuple[str, ...], expected: dict[str, set[str]]
) -> None:
    assert visible(view_for(subject, *groups)) == expected


@pytest.mark.parametrize(("subject", "groups"), [(subject, groups) for subject, groups, _ in VIEWS])
def test_visible_lists_equal_the_policy_decision_for_every_item(
    subject: str, groups: tuple[str, ...]
) -> None:
    identity = Identity(subject, "https://idp.example.com", groups=groups)
    view = build_view(CATALOG, ENGINE, identity)
    decider = ENGINE.decider(identity.subjects)
    for kind in Kind:
        allowed = [
            entry
            for entry in CATALOG.entries[kind].values()
            if decider.decide(entry.object, ACTION_FOR[kind]).allowed
        ]
        assert list(view.visible[kind]) == allowed
        assert view.items(kind) == [entry.item for entry in allowed]


def test_token_scopes_narrow_the_view() -> None:
    view = view_for("alice", scopes=("a/tools/echo", "a/resources/demo://docs/*"))
    assert visible(view) == {**NOTHING, "tools": {"a__echo"}, "resources": {"demo://docs/readme"}}


def test_lookup_of_a_missing_item_has_no_entry_and_no_decision() -> None:
    view = view_for("bob")
    assert view.lookup(Kind.TOOLS, "a__missing") == (None, None)
    assert view.lookup(Kind.TOOLS, "delete") == (None, None)


def test_lookup_of_a_denied_item_has_the_entry_and_a_deny() -> None:
    entry, decision = view_for("bob").lookup(Kind.TOOLS, "a__delete")
    assert entry is not None
    assert entry.original == "delete"
    assert decision is not None
    assert not decision.allowed


def test_lookup_of_an_allowed_item_has_the_entry_and_an_allow() -> None:
    entry, decision = view_for("bob").lookup(Kind.PROMPTS, "a__summarize")
    assert entry is not None
    assert decision is not None
    assert decision.allowed


@pytest.mark.parametrize(
    ("subject", "groups", "uri", "allowed"),
    [
        ("bob", (), "demo://docs/readme", True),
        ("bob", (), "demo://finance/payroll", False),
        ("carol", ("finance",), "demo://users/7/profile", True),
        ("bob", (), "demo://users/7/profile", False),
        ("alice", (), "demo://users/7/profile", True),
        # A permission on the template's own text does not reach the URIs it expands to.
        ("dave", (), "demo://audit/2026-01-01", False),
    ],
)
def test_resource_routes_and_authorizes_a_concrete_uri(
    subject: str, groups: tuple[str, ...], uri: str, allowed: bool
) -> None:
    upstream, decision = view_for(subject, *groups).resource(uri)
    assert upstream == "a"
    assert decision is not None
    assert decision.allowed is allowed


def test_resource_no_upstream_serves_has_no_upstream_and_no_decision() -> None:
    assert view_for("alice").resource("demo://nowhere/x") == (None, None)


def test_view_records_the_policy_version_it_was_built_against() -> None:
    assert view_for("alice").policy_version == ENGINE.version

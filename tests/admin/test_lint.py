"""`lint` finds what a valid policy still gets wrong, and nothing in a sound one."""

from __future__ import annotations

import pytest

from authz_mcp.admin.lint import Finding, lint
from authz_mcp.policy import PolicyEngine
from tests.admin.support import demo_catalog, engine
from tests.policy.conftest import DEFAULT_MODEL

UPSTREAMS = ["demo", "web"]


def _findings(policy: PolicyEngine, *, catalog: bool = True) -> list[tuple[int, str]]:
    return [(f.line, f.severity) for f in lint(policy, UPSTREAMS, demo_catalog() if catalog else None)]


@pytest.mark.parametrize(
    "rule",
    [
        "p, role:x, gihub/tools/create_issue, call, allow",
        "p, role:x, gihub/*, call, deny",
        "p, role:x, zz*, call, allow",
    ],
)
def test_a_rule_naming_an_unknown_upstream_is_an_error(rule: str) -> None:
    findings = lint(engine(rule, "g, alice, role:x"), UPSTREAMS, None)
    assert [(f.line, f.severity) for f in findings] == [(1, "error")]
    assert "demo, web" in findings[0].message


@pytest.mark.parametrize(
    "rule",
    [
        "p, role:x, demo/tools/echo, read, deny",
        "p, role:x, demo/resources/demo://docs/*, call, allow",
        "p, role:x, demo/p*, call, allow",
        "p, role:x, demo/tools, call, allow",
    ],
)
def test_a_rule_whose_action_never_fits_its_object_is_an_error(rule: str) -> None:
    assert _findings(engine(rule, "g, alice, role:x"), catalog=False) == [(1, "error")]


@pytest.mark.parametrize(
    "rule",
    [
        "p, role:x, demo/*, call, allow",
        "p, role:x, d*, read, allow",
        "p, role:x, *, get, allow",
        "p, role:x, demo/to*, call, allow",
    ],
)
def test_wildcards_over_upstreams_and_kinds_are_fine(rule: str) -> None:
    assert _findings(engine(rule, "g, alice, role:x")) == []


def test_a_pattern_matching_nothing_in_the_live_catalog_is_a_warning() -> None:
    policy = engine(
        "p, role:x, demo/tools/ecco, call, allow",
        "p, role:x, demo/resources/demo://docs/*, read, allow",
        "p, role:x, demo/prompts/sum*, get, allow",
        "g, alice, role:x",
    )
    assert _findings(policy) == [(1, "warning")]


@pytest.mark.parametrize(
    "obj",
    [
        "demo/resources/demo://users/alice/profile",
        "demo/resources/demo://users/*",
        "demo/resources/demo://u*",
    ],
)
def test_uris_a_listed_template_produces_count_as_matching(obj: str) -> None:
    assert _findings(engine(f"p, role:x, {obj}, read, allow", "g, alice, role:x")) == []


def test_an_upstream_missing_from_the_catalog_is_not_judged_by_it() -> None:
    catalog = demo_catalog()
    unavailable = type(catalog)(catalog.version, catalog.entries, catalog.templates, frozenset({"demo"}))
    policy = engine("p, role:x, web/tools/nothing_like_it, call, allow", "g, alice, role:x")
    assert lint(policy, UPSTREAMS, unavailable) == []


@pytest.mark.parametrize(
    ("lines", "shadowed", "by"),
    [
        (["p, role:x, demo/tools/echo, call, allow", "p, role:x, demo/tools/*, call, deny"], 1, 2),
        (["p, role:x, demo/tools/e*, call, allow", "p, role:x, demo/*, call, deny"], 1, 2),
        (["p, role:x, demo/tools/echo, call, allow", "p, role:base, demo/tools/echo, call, deny"], 1, 3),
    ],
    ids=["same-role", "wider-deny", "inherited-deny"],
)
def test_an_allow_that_a_deny_fully_covers_for_all_its_holders_is_a_warning(
    lines: list[str], shadowed: int, by: int
) -> None:
    policy = engine(
        *lines[:1], *(["g, role:x, role:base"] if by == 3 else []), *lines[1:], "g, alice, role:x"
    )
    findings = lint(policy, UPSTREAMS, None)
    assert [(f.line, f.severity) for f in findings] == [(shadowed, "warning")]
    assert f"line {by}" in findings[0].message


@pytest.mark.parametrize(
    "lines",
    [
        ["p, role:x, demo/tools/*, call, allow", "p, role:x, demo/tools/echo, call, deny"],
        ["p, role:x, demo/tools/echo, call, allow", "p, role:other, demo/tools/*, call, deny"],
        ["p, role:x, demo/tools/echo, call, allow", "p, role:x, demo/*, get, deny"],
    ],
    ids=["partial-deny", "deny-for-others", "deny-for-another-action"],
)
def test_an_allow_that_still_grants_something_is_not_shadowed(lines: list[str]) -> None:
    policy = engine(*lines, "g, alice, role:x", "g, bob, role:other")
    assert [f for f in lint(policy, UPSTREAMS, None) if f.line <= 2] == []


def test_an_allow_whose_every_listed_item_is_denied_is_a_warning_against_the_catalog() -> None:
    policy = engine(
        "p, role:x, web/tools/*, call, allow",
        "p, role:x, web/tools/search, call, deny",
        "g, alice, role:x",
    )
    assert _findings(policy, catalog=False) == []
    findings = lint(policy, UPSTREAMS, demo_catalog())
    assert [(f.line, f.severity) for f in findings] == [(1, "warning")]
    assert "lines 2" in findings[0].message


def test_a_role_assigned_but_granted_nothing_is_a_warning_at_its_first_assignment() -> None:
    policy = engine(
        "p, role:base, demo/tools/echo, call, allow",
        "g, role:senior, role:base",
        "g, alice, role:ghost",
        "g, bob, role:ghost",
        "g, carol, role:senior",
        "g, group:eng, role:base",
    )
    findings = lint(policy, UPSTREAMS, None)
    assert [(f.line, f.severity) for f in findings] == [(3, "warning")]
    assert "role:ghost" in findings[0].message


@pytest.mark.parametrize(
    "subject",
    ["role: analyst", "role:analyst", "alice smith", "team:eng"],
    ids=["space-after-prefix", "role-nobody-holds", "space", "unknown-prefix"],
)
def test_a_subject_that_can_match_no_one_is_a_warning_at_its_first_rule(subject: str) -> None:
    policy = engine(
        "p, role:viewer, demo/tools/echo, call, allow",
        f"p, {subject}, demo/tools/add, call, allow",
        f"p, {subject}, demo/tools/echo, call, allow",
        "g, bob, role:viewer",
    )
    findings = lint(policy, UPSTREAMS, None)
    assert [(f.line, f.severity) for f in findings] == [(2, "warning")]
    assert repr(subject) in findings[0].message


@pytest.mark.parametrize(
    "subject",
    ["alice", "auth0|5f7c8ec7", "alice@example.com", "group:finance", "group:Domain Users", "role:viewer"],
)
def test_user_ids_groups_and_assigned_roles_can_match(subject: str) -> None:
    policy = engine(
        f"p, {subject}, demo/tools/add, call, allow",
        "p, role:viewer, demo/tools/echo, call, allow",
        "g, bob, role:viewer",
    )
    assert lint(policy, UPSTREAMS, None) == []


def test_findings_render_as_file_line_severity_message() -> None:
    policy = PolicyEngine.from_text(DEFAULT_MODEL, "g, alice, role:ghost\n", policy_source="p.csv")
    (finding,) = lint(policy, UPSTREAMS, None)
    assert str(finding).startswith("p.csv:1: warning: ")
    assert Finding("p.csv", 0, "error", "x").__str__() == "p.csv: error: x"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            "p, role:x, demo/resources/DEMO://docs/*, read, deny",
            "never matches: resource URIs are decided on in canonical form; write 'demo://docs/'",
        ),
        (
            "p, role:x, demo/resources/demo://docs/./readme, read, deny",
            "never matches: resource URIs are decided on in canonical form; write 'demo://docs/readme'",
        ),
        (
            "p, role:x, demo/resources/demo://docs/%72eadme, read, deny",
            "never matches: resource URIs are decided on in canonical form; write 'demo://docs/readme'",
        ),
        (
            "p, role:x, demo/resources/demo://docs/%2e%2e/*, read, deny",
            "never matches: its URI has no canonical form (encoded dot segment)",
        ),
    ],
)
def test_a_resource_rule_not_in_canonical_form_is_an_error(rule: str, message: str) -> None:
    findings = lint(engine(rule, "g, alice, role:x"), UPSTREAMS, None)
    assert [(f.line, f.severity, f.message) for f in findings] == [(1, "error", message)]


@pytest.mark.parametrize(
    "rule",
    [
        "p, role:x, demo/resources/demo://docs/*, read, allow",
        "p, role:x, demo/resources/*, read, allow",
        "p, role:x, demo/resources/demo://users/{user_id}/profile, read, allow",
        "p, role:x, demo/resources/demo*, read, allow",
    ],
)
def test_a_resource_rule_in_canonical_form_is_not_flagged(rule: str) -> None:
    assert lint(engine(rule, "g, alice, role:x"), UPSTREAMS, None) == []

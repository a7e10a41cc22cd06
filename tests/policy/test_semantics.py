"""Decision semantics of the default model: deny-override, default deny, keyMatch, scopes."""

from __future__ import annotations

import pytest

from authz_mcp.policy import (
    CALL,
    NO_MATCH,
    OUTSIDE_SCOPES,
    READ,
    KeyPattern,
    pattern_problem,
    prompt_object,
    resource_object,
    tool_object,
)

from .conftest import engine_for

LAYERED = """\
p, role:dev, github/tools/*, call, allow
p, role:contractor, github/tools/delete_repo, call, deny
p, group:eng, github/tools/merge, call, allow
p, group:interns, github/tools/merge, call, deny
p, role:reader, fs/resources/file:///srv/docs/*, read, allow
g, group:eng, role:dev
g, group:vendors, role:contractor
g, role:dev, role:reader
g, mallory, role:contractor
"""


@pytest.mark.parametrize(
    ("subjects", "tool", "allowed"),
    [
        (("ann", "group:eng"), "delete_repo", True),
        (("ann", "group:eng", "group:vendors"), "delete_repo", False),
        (("mallory", "group:eng"), "delete_repo", False),
        (("ann", "group:eng"), "merge", True),
        (("ann", "group:eng", "group:interns"), "merge", False),
        (("ann", "group:interns"), "merge", False),
        (("ann", "group:vendors"), "merge", False),
    ],
)
def test_any_matching_deny_wins_across_roles_and_groups(
    subjects: tuple[str, ...], tool: str, allowed: bool
) -> None:
    engine = engine_for(LAYERED)
    assert engine.decider(subjects).decide(tool_object("github", tool), CALL).allowed is allowed


def test_roles_are_inherited_transitively() -> None:
    decider = engine_for(LAYERED).decider(("ann", "group:eng"))
    assert decider.decide(resource_object("fs", "file:///srv/docs/a.md"), READ).allowed


@pytest.mark.parametrize(
    ("subjects", "obj"),
    [
        (("nobody",), tool_object("github", "merge")),
        (("ann", "group:unknown"), tool_object("github", "merge")),
        (("ann", "group:eng"), tool_object("gitlab", "merge")),
        (("ann", "group:eng"), prompt_object("github", "merge")),
    ],
)
def test_no_matching_rule_denies(subjects: tuple[str, ...], obj: str) -> None:
    decision = engine_for(LAYERED).decider(subjects).decide(obj, CALL)
    assert (decision.allowed, decision.reason) == (False, NO_MATCH)


def test_empty_policy_denies_everything() -> None:
    assert not engine_for("").decider(("ann",)).decide(tool_object("github", "merge"), CALL).allowed


@pytest.mark.parametrize(
    ("pattern", "obj", "matches"),
    [
        ("github/tools/*", "github/tools/create_issue", True),
        ("github/tools/*", "github/tools/", True),
        ("github/tools/*", "github/tools", False),
        ("github/tools/*", "github/prompts/x", False),
        ("fs/resources/file:///srv/docs/*", "fs/resources/file:///srv/docs/a/b/c.md", True),
        ("fs/resources/file:///srv/docs/*", "fs/resources/file:///srv/docsx", False),
        ("fs/resources/file:///srv/docs/*", "fs/resources/file:///srv/other/a.md", False),
        ("*", "anything/at/all", True),
        ("gh/tools/a.b", "gh/tools/a.b", True),
        ("gh/tools/a.b", "gh/tools/aXb", False),
        ("gh/tools/a?", "gh/tools/a", False),
        ("gh/tools/a?", "gh/tools/a?", True),
        ("gh/tools/a+", "gh/tools/aa", False),
        ("gh/tools/f(x)", "gh/tools/fx", False),
        ("gh/tools/f(x)", "gh/tools/f(x)", True),
        ("u/resources/demo://users/{id}", "u/resources/demo://users/42", False),
        ("u/resources/demo://users/{id}", "u/resources/demo://users/{id}", True),
        ("u/resources/demo://users/{id}/*", "u/resources/demo://users/{id}/profile", True),
        ("u/resources/demo://users/{id}/*", "u/resources/demo://users/7/profile", False),
        ("gh/tools/[ab]*", "gh/tools/a", False),
        ("gh/tools/^a$", "gh/tools/^a$", True),
    ],
)
def test_keymatch_star_is_the_only_special_character(pattern: str, obj: str, matches: bool) -> None:
    engine = engine_for(f"p, ann, {pattern}, call, allow\n")
    assert engine.decider(("ann",)).decide(obj, CALL).allowed is matches
    assert KeyPattern.compile(pattern).matches(obj) is matches


@pytest.mark.parametrize("pattern", ["gh/tools/*_admin", "*/tools/x", "gh/**"])
def test_a_star_before_the_end_is_a_problem(pattern: str) -> None:
    assert pattern_problem(pattern) is not None


@pytest.mark.parametrize("pattern", ["gh/tools/*", "*", "gh/tools/exact"])
def test_star_at_the_end_or_none_is_fine(pattern: str) -> None:
    assert pattern_problem(pattern) is None


SCOPED = "p, ann, github/tools/*, call, allow\np, ann, github/tools/nuke, call, deny\n"


@pytest.mark.parametrize(
    ("scopes", "tool", "allowed", "reason"),
    [
        (None, "merge", True, "rule"),
        (("github/tools/merge",), "merge", True, "rule"),
        (("github/tools/merge",), "close", False, OUTSIDE_SCOPES),
        (("github/tools/*",), "close", True, "rule"),
        ((), "merge", False, OUTSIDE_SCOPES),
        # A scope never widens: denied and unmatched objects stay denied, for their own reason.
        (("github/tools/*",), "nuke", False, "rule"),
        (("*",), "nuke", False, "rule"),
        (("github/tools/merge", "github/tools/close"), "close", True, "rule"),
    ],
)
def test_scopes_narrow_but_never_widen(
    scopes: tuple[str, ...] | None, tool: str, allowed: bool, reason: str
) -> None:
    decision = engine_for(SCOPED).decider(("ann",), scopes).decide(tool_object("github", tool), CALL)
    assert decision.allowed is allowed
    assert decision.reason == reason or (reason == "rule" and decision.reason.startswith("policy.csv:"))


def test_scopes_cannot_grant_what_no_rule_allows() -> None:
    decider = engine_for(SCOPED).decider(("ann",), ("gitlab/*", "*"))
    assert decider.decide(tool_object("gitlab", "merge"), CALL).reason == NO_MATCH


def chain(length: int) -> str:
    links = [f"g, role:r{i}, role:r{i + 1}\n" for i in range(length)]
    rules = [f"p, role:r{i}, t/tools/at{i}, call, allow\n" for i in range(length + 1)]
    return "g, ann, role:r0\ng, group:deep, role:r0\n" + "".join(links + rules)


@pytest.mark.parametrize(("subjects", "reach"), [(("ann",), 9), (("bea", "group:deep"), 8)])
def test_role_chains_stop_where_casbin_stops(subjects: tuple[str, ...], reach: int) -> None:
    # casbin's role manager follows at most 9 links from the request's subject
    # (max_hierarchy_level 10); a group is one link from its member.
    decider = engine_for(chain(12)).decider(subjects)
    allowed = [decider.decide(f"t/tools/at{i}", CALL).allowed for i in range(13)]
    assert allowed == [i < reach for i in range(13)]

"""The bundled example policy (policies/policy.csv), item by item and identity by identity."""

from __future__ import annotations

import pytest

from authz_mcp.policy import (
    CALL,
    GET,
    NO_MATCH,
    READ,
    PolicyEngine,
    prompt_object,
    resource_object,
    tool_object,
)

ALICE = ("alice",)  # role:admin
BOB = ("bob",)  # role:viewer
CAROL = ("carol", "group:finance")  # role:finance through her group
ERIN = ("erin", "group:finance", "group:support")  # finance, plus a group with no rules
DAVE = ("dave",)  # nobody: no rules at all
IDENTITIES = {"alice": ALICE, "bob": BOB, "carol": CAROL, "erin": ERIN, "dave": DAVE}

Y, N = True, False

# object, action, then whether alice, bob, carol, erin, dave may.
MATRIX = [
    (tool_object("demo", "echo"), CALL, Y, Y, N, N, N),
    (tool_object("demo", "add"), CALL, Y, Y, N, N, N),
    (tool_object("demo", "get_forecast"), CALL, Y, Y, N, N, N),
    (tool_object("demo", "search_docs"), CALL, Y, Y, N, N, N),
    (tool_object("demo", "slow_task"), CALL, Y, Y, N, N, N),
    (tool_object("demo", "ask_model"), CALL, Y, Y, N, N, N),
    (tool_object("demo", "confirm_action"), CALL, Y, Y, N, N, N),
    (tool_object("demo", "list_client_roots"), CALL, Y, Y, N, N, N),
    (tool_object("demo", "delete_record"), CALL, Y, N, N, N, N),
    (tool_object("demo", "rotate_credentials"), CALL, Y, N, N, N, N),
    (resource_object("demo", "demo://docs/readme"), READ, Y, Y, N, N, N),
    (resource_object("demo", "demo://docs/handbook"), READ, Y, Y, N, N, N),
    (resource_object("demo", "demo://finance/payroll"), READ, Y, N, Y, Y, N),
    (resource_object("demo", "demo://users/{user_id}/profile"), READ, Y, N, N, N, N),
    (prompt_object("demo", "summarize"), GET, Y, Y, N, N, N),
    (prompt_object("demo", "incident_report"), GET, Y, N, N, N, N),
    # The right object with the wrong action matches nothing.
    (tool_object("demo", "echo"), READ, N, N, N, N, N),
    (prompt_object("demo", "summarize"), CALL, N, N, N, N, N),
    (resource_object("demo", "demo://finance/payroll"), GET, N, N, N, N, N),
    # Another upstream's items are not demo's.
    (tool_object("other", "echo"), CALL, N, N, N, N, N),
]

CASES = [
    pytest.param(IDENTITIES[name], obj, act, row[index], id=f"{name}-{act}-{obj}")
    for obj, act, *row in MATRIX
    for index, name in enumerate(IDENTITIES)
]


@pytest.mark.parametrize(("subjects", "obj", "act", "allowed"), CASES)
def test_example_policy_matrix(
    example: PolicyEngine, subjects: tuple[str, ...], obj: str, act: str, allowed: bool
) -> None:
    assert example.decider(subjects).decide(obj, act).allowed is allowed


def test_example_policy_is_evaluated_natively(example: PolicyEngine) -> None:
    assert example.native


def test_viewer_deny_rule_is_named_as_the_reason(example: PolicyEngine) -> None:
    decision = example.decider(BOB).decide(tool_object("demo", "delete_record"), CALL)
    assert not decision.allowed
    assert decision.reason.endswith(": p, role:viewer, demo/tools/delete_record, call, deny")
    assert decision.reason.startswith(f"{example.rules[0].source}:")


def test_allow_reason_names_the_file_line_and_rule(example: PolicyEngine) -> None:
    decision = example.decider(ALICE).decide(tool_object("demo", "rotate_credentials"), CALL)
    rule = next(
        rule for rule in example.rules if rule.fields == ("role:admin", "demo/tools/*", "call", "allow")
    )
    assert decision.allowed
    assert decision.reason == f"{rule.source}:{rule.line}: p, role:admin, demo/tools/*, call, allow"


def test_stranger_is_denied_with_no_matching_rule(example: PolicyEngine) -> None:
    decision = example.decider(DAVE).decide(tool_object("demo", "echo"), CALL)
    assert decision == decision.__class__(False, NO_MATCH)


def test_deciders_are_cached_per_subjects_and_scopes(example: PolicyEngine) -> None:
    assert example.decider(BOB) is example.decider(("bob",))
    assert example.decider(BOB, ("demo/*",)) is example.decider(BOB, ("demo/*",))
    assert example.decider(BOB) is not example.decider(BOB, ("demo/*",))

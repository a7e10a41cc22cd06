"""`explain` lists every rule in play and how the identity holds each rule's subject."""

from __future__ import annotations

from authz_mcp.policy import PolicyEngine, explain
from tests.policy.conftest import DEFAULT_MODEL, engine_for

POLICY = engine_for(
    "p, role:dev, demo/tools/*, call, allow\n"
    "p, role:contractor, demo/tools/delete_record, call, deny\n"
    "p, role:base, demo/tools/delete_record, call, allow\n"
    "p, role:dev, demo/prompts/*, get, allow\n"
    "g, group:eng, role:dev\n"
    "g, role:dev, role:base\n"
    "g, frank, role:contractor\n"
)


def test_a_denied_call_names_the_deciding_deny_every_matching_rule_and_their_chains() -> None:
    answer = explain(POLICY, ("frank", "group:eng"), "demo/tools/delete_record", "call")
    assert not answer.decision.allowed
    assert answer.decision.reason == "policy.csv:2: p, role:contractor, demo/tools/delete_record, call, deny"
    assert [rule.line for rule in answer.matched] == [1, 2, 3]
    assert [answer.chain_of(rule) for rule in answer.matched] == [
        ("frank", "group:eng", "role:dev"),
        ("frank", "role:contractor"),
        ("frank", "group:eng", "role:dev", "role:base"),
    ]


def test_no_match_explains_with_no_rules_and_only_the_user_itself_held() -> None:
    answer = explain(POLICY, ("mallory",), "demo/tools/echo", "call")
    assert (answer.decision.allowed, answer.matched, dict(answer.chains)) == (
        False,
        (),
        {"mallory": ("mallory",)},
    )


def test_role_paths_hold_exactly_the_roles_the_engine_decides_with() -> None:
    for subjects in [("frank",), ("frank", "group:eng"), ("group:eng",), ("nobody", "group:none")]:
        assert set(POLICY.role_paths(subjects)) == POLICY.roles(subjects)


def test_a_custom_model_names_only_the_deciding_rule() -> None:
    model = DEFAULT_MODEL.replace("keyMatch(r.obj, p.obj)", "keyMatch2(r.obj, p.obj)")
    policy = PolicyEngine.from_text(
        model, "p, alice, demo/tools/*, call, allow\np, alice, demo/*, call, allow\n"
    )
    answer = explain(policy, ("alice",), "demo/tools/echo", "call")
    assert answer.decision.allowed
    assert [str(rule) for rule in answer.matched] == [answer.decision.reason]


def test_version_of_predicts_the_version_without_building_an_engine() -> None:
    assert (
        PolicyEngine.version_of(POLICY.model.text, "".join(f"{r.text}\n" for r in POLICY.rules))
        == POLICY.version
    )

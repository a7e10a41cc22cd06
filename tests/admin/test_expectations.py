"""Policy test files: parsed with their line numbers, run with exact pattern semantics."""

from __future__ import annotations

import itertools
import random

import pytest

from authz_mcp.admin.expectations import parse_expectations, run_expectations
from authz_mcp.errors import ConfigError
from authz_mcp.policy import KeyPattern
from tests.admin.support import engine

POLICY = engine(
    "p, role:dev, demo/tools/*, call, allow",
    "p, role:dev, demo/tools/delete_record, call, deny",
    "p, role:contractor, demo/tools/echo, call, allow",
    "p, role:contractor, demo/resources/demo://finance/*, read, deny",
    "p, role:reader, demo/resources/*, read, allow",
    "g, group:eng, role:dev",
    "g, group:contractors, role:contractor",
    "g, dana, role:reader",
    "g, frank, role:reader",
)


def _run(*lines: str, groups: str = "") -> list[tuple[bool, str]]:
    text = groups + "expect:\n" + "".join(f"  - {line}\n" for line in lines)
    return [
        (outcome.passed, outcome.detail)
        for outcome in run_expectations(POLICY, parse_expectations("t.yaml", text))
    ]


def test_expectations_keep_their_line_and_the_groups_given_to_their_users() -> None:
    text = (
        "groups:\n  frank: [eng, group:contractors]\n"
        "expect:\n  - frank can call demo/tools/add\n\n  - erin cannot get demo/prompts/x\n"
    )
    first, second = parse_expectations("t.yaml", text)
    assert (first.line, first.identity.subjects, first.allowed) == (
        4,
        ("frank", "group:eng", "group:contractors"),
        True,
    )
    assert (second.line, second.identity.subjects, second.allowed, second.act) == (6, ("erin",), False, "get")
    assert str(first) == "frank (groups: eng, contractors) can call demo/tools/add"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("expect:\n  - alice may call demo/tools/x\n", 2),
        ("expect:\n  - alice can call demo/tools/*_admin\n", 2),
        ("expect:\n  - alice can call\n", 2),
        ("expect:\n  - {alice: can}\n", 2),
        ("expect: alice can call x\n", 1),
        ("groups: [alice]\nexpect: []\n", 1),
        ("expect:\n  - [unclosed\n", 3),
    ],
    ids=["verb", "pattern", "too-short", "not-a-string", "not-a-list", "groups-not-a-mapping", "yaml"],
)
def test_a_malformed_test_file_names_file_and_line(text: str, line: int) -> None:
    with pytest.raises(ConfigError, match=rf"^t\.yaml:{line}: "):
        parse_expectations("t.yaml", text)


@pytest.mark.parametrize("text", ["- a list\n", "groups: {}\n", "expect: []\nextra: 1\n"])
def test_a_test_file_needs_an_expect_list_and_nothing_unknown(text: str) -> None:
    with pytest.raises(ConfigError, match=r"^t\.yaml: "):
        parse_expectations("t.yaml", text)


def test_single_objects_are_decided_as_the_gateway_decides_them_and_failures_name_the_rule() -> None:
    outcomes = _run(
        "group:eng can call demo/tools/add",
        "group:eng can call demo/tools/delete_record",
        "group:eng cannot call demo/tools/delete_record",
        "dana can get demo/prompts/summarize",
    )
    assert [passed for passed, _ in outcomes] == [True, False, True, False]
    assert outcomes[1][1] == "policy.csv:2: p, role:dev, demo/tools/delete_record, call, deny"
    assert outcomes[3][1] == "no matching rule"


@pytest.mark.parametrize(
    ("line", "passes"),
    [
        ("group:eng can call demo/tools/*", False),
        ("group:eng can call demo/tools/a*", True),
        ("group:eng cannot call demo/tools/d*", False),
        ("group:eng cannot call demo/tools/delete_record*", False),  # delete_records, say
        ("group:contractors cannot call demo/tools/f*", True),
        ("group:contractors cannot read demo/resources/*", True),
        ("frank cannot read demo/resources/demo://finance/*", True),
        ("frank cannot read demo/resources/*", False),
        ("frank can read demo/resources/demo://docs/*", True),
        ("frank can read demo/resources/*", False),
        ("nobody cannot call *", True),
    ],
)
def test_a_pattern_speaks_of_every_object_it_matches(line: str, passes: bool) -> None:
    """frank reads as dana does, but is also a contractor, whose finance deny wins."""
    ((passed, detail),) = _run(line, groups="groups:\n  frank: [contractors]\n")
    assert passed is passes, detail


def test_pattern_expectations_agree_with_deciding_every_object_they_match() -> None:
    """Random policies over a tiny alphabet, where every distinct object can be enumerated."""
    rng = random.Random(5)
    tails = ["".join(chars) for size in range(4) for chars in itertools.product("ab", repeat=size)]
    patterns = [f"u/tools/{tail}" for tail in tails[:7]] + [f"u/tools/{tail}*" for tail in tails[:7]]
    for _ in range(300):
        effects = ["allow", "allow", "deny"]
        rules = [
            f"p, role:{rng.choice('xy')}, {rng.choice(patterns)}, call, {rng.choice(effects)}"
            for _ in range(rng.randint(1, 5))
        ]
        policy = engine(*rules, "g, alice, role:x", "g, alice, role:y")
        target = rng.choice(patterns)
        covered = [
            f"u/tools/{tail}" for tail in tails if KeyPattern.compile(target).matches(f"u/tools/{tail}")
        ]
        decider = policy.decider(("alice",))
        allowed = [decider.decide(obj, "call").allowed for obj in covered]
        text = f"expect:\n  - alice can call {target}\n  - alice cannot call {target}\n"
        can, cannot = run_expectations(policy, parse_expectations("t.yaml", text))
        assert can.passed is all(allowed), (rules, target)
        assert cannot.passed is not any(allowed), (rules, target)

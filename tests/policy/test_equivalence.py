"""Our decisions equal casbin's own `enforce()` on randomized policies and catalogs.

The reference is a plain casbin Enforcer reading the same files through its file
adapter. An identity with groups holds all its subjects at once; for casbin that
is the user with extra `g, <user>, group:<name>` links, asked `enforce(user, obj, act)`.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import casbin
import pytest

from authz_mcp.policy import CALL, GET, NO_MATCH, READ, PolicyEngine

from .conftest import DEFAULT_MODEL, WriteFiles

KINDS = {"tools": CALL, "prompts": GET, "resources": READ}
UPSTREAMS = ("github", "fs", "db.v2")
# Characters that are regex metacharacters, kept in names to prove they are literal.
# Parentheses come in pairs: casbin's policy reader nests on them.
NAME_PARTS = ("a", "b", "ab", "x.y", "q?", "p+", "f(x)", "{id}", "_", "-", "file:///srv/docs/", "1")


@dataclass(frozen=True)
class World:
    policy: str
    objects: list[tuple[str, str]]
    identities: list[tuple[str, ...]]


def random_world(seed: int, rules: int = 250) -> World:
    rng = random.Random(seed)
    objects = []
    for _ in range(50):
        kind = rng.choice(list(KINDS))
        name = "".join(rng.choice(NAME_PARTS) for _ in range(rng.randint(1, 3)))
        objects.append((f"{rng.choice(UPSTREAMS)}/{kind}/{name}", KINDS[kind]))
    users = [f"u{i}" for i in range(16)]
    groups = [f"group:g{i}" for i in range(6)]
    roles = [f"role:r{i}" for i in range(10)]
    lines = []
    for _ in range(rules):
        subject = rng.choice(users + groups + roles + roles)
        obj, act = rng.choice(objects)
        shape = rng.random()
        if shape < 0.3:
            prefix = obj[: rng.randint(0, len(obj))]
            if prefix.count("(") > prefix.count(")"):
                prefix = prefix[: prefix.rfind("(")]
            obj = prefix + "*"
        elif shape < 0.35:
            obj = obj + "x"  # names no catalog item
        if rng.random() < 0.1:
            act = rng.choice(list(KINDS.values()))
        effect = "deny" if rng.random() < 0.15 else "allow"
        lines.append(f"p, {subject}, {obj}, {act}, {effect}")
    for member in users + groups:
        lines.extend(f"g, {member}, {role}" for role in rng.sample(roles, rng.choice((0, 1, 1, 2))))
    # Role links point "up" only: cycles make casbin's own has_link walk all ten levels on
    # every rule, too slow for a reference here (the deep-chain test has a cycle).
    for index, role in enumerate(roles[:-1]):
        lines.extend(f"g, {role}, {up}" for up in rng.sample(roles[index + 1 :], rng.choice((0, 1, 1))))
    rng.shuffle(lines)
    identities: list[tuple[str, ...]] = [("stranger",), ("stranger", "group:g0")]
    for user in users:
        identities.append((user, *rng.sample(groups, rng.choice((0, 0, 1, 2)))))
    probes = objects + [(obj + "/more", act) for obj, act in rng.sample(objects, 10)]
    probes += [(obj, rng.choice(list(KINDS.values()))) for obj, _ in rng.sample(objects, 10)]
    return World("\n".join(lines) + "\n", probes, identities)


def reference(model_path: Path, policy_path: Path, subjects: tuple[str, ...]) -> Any:
    enforcer = casbin.Enforcer(str(model_path), str(policy_path))
    for group in subjects[1:]:
        enforcer.add_grouping_policy(subjects[0], group)
    return enforcer


def assert_equivalent(engine: PolicyEngine, model_path: Path, policy_path: Path, world: World) -> None:
    for subjects in world.identities:
        enforcer = reference(model_path, policy_path, subjects)
        decider = engine.decider(subjects)
        for obj, act in world.objects:
            decision = decider.decide(obj, act)
            try:
                expected, explain = enforcer.enforce_ex(subjects[0], obj, act)
            except re.error:
                # keyMatch2 compiles patterns as regular expressions: casbin raises, we deny.
                assert not decision.allowed
                assert decision.reason.startswith("policy evaluation failed")
                continue
            assert decision.allowed is expected, (subjects, obj, act, decision)
            if not explain:
                assert decision.reason == NO_MATCH
            elif not expected:
                # casbin stops at the first deny, which is the one we name.
                assert decision.reason.endswith(": p, " + ", ".join(explain))


@pytest.mark.parametrize("seed", [1, 2])
def test_native_decisions_equal_casbin_enforce(write_files: WriteFiles, seed: int) -> None:
    world = random_world(seed)
    model_path, policy_path = write_files(DEFAULT_MODEL, world.policy)
    engine = PolicyEngine.load(model_path, policy_path)
    assert engine.native
    assert_equivalent(engine, model_path, policy_path, world)


def test_some_random_decisions_allow_and_some_deny_by_rule(write_files: WriteFiles) -> None:
    world = random_world(1)
    engine = PolicyEngine.from_text(DEFAULT_MODEL, world.policy)
    decisions = [engine.decider(s).decide(o, a) for s in world.identities for o, a in world.objects]
    assert any(d.allowed for d in decisions)
    assert any(not d.allowed and d.reason.endswith(", deny") for d in decisions)
    assert any(d.reason == NO_MATCH for d in decisions)


def test_deep_role_chains_equal_casbin_enforce(write_files: WriteFiles) -> None:
    links = [f"g, role:r{i}, role:r{i + 1}" for i in range(12)]
    rules = [f"p, role:r{i}, t/tools/at{i}, call, allow" for i in range(13)]
    cycle = "g, role:r12, role:r3"
    policy = "\n".join(["g, ann, role:r0", "g, group:deep, role:r0", cycle, *links, *rules]) + "\n"
    model_path, policy_path = write_files(DEFAULT_MODEL, policy)
    world = World(policy, [(f"t/tools/at{i}", CALL) for i in range(13)], [("ann",), ("bea", "group:deep")])
    assert_equivalent(PolicyEngine.load(model_path, policy_path), model_path, policy_path, world)


OTHER_MODELS = {
    "allow-override": DEFAULT_MODEL.replace(
        "e = some(where (p.eft == allow)) && !some(where (p.eft == deny))", "e = some(where (p.eft == allow))"
    ),
    "priority": DEFAULT_MODEL.replace(
        "e = some(where (p.eft == allow)) && !some(where (p.eft == deny))", "e = priority(p.eft) || deny"
    ),
    "keyMatch2-matcher": DEFAULT_MODEL.replace("keyMatch(r.obj, p.obj)", "keyMatch2(r.obj, p.obj)"),
}


@pytest.mark.parametrize("name", list(OTHER_MODELS))
def test_other_models_run_through_casbin_and_agree_with_it(write_files: WriteFiles, name: str) -> None:
    world = random_world(7, rules=120)
    model_path, policy_path = write_files(OTHER_MODELS[name], world.policy)
    engine = PolicyEngine.load(model_path, policy_path)
    assert not engine.native
    short = World(world.policy, world.objects[:50], world.identities[:8])
    assert_equivalent(engine, model_path, policy_path, short)

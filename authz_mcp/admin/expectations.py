"""Admin-written expectations about a policy, run like a test suite (`authz-mcp policy test`).

    groups:                     # optional: the groups a user's token carries
      frank: [contractors, engineering]
    expect:
      - alice can call github/tools/create_issue
      - group:contractors cannot read fs/resources/*
      - frank cannot call github/tools/delete_repo

An object ending in `*` speaks of every object it matches: `can` holds when
all of them are allowed, `cannot` when none is. That is decided from the rules
alone, so a policy repository's CI needs no upstream to run its tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from authz_mcp.admin.identities import describe, identity_for
from authz_mcp.auth.identity import Identity
from authz_mcp.errors import ConfigError
from authz_mcp.policy import KeyPattern, PolicyEngine, UriRefusal, canonical_object, pattern_problem

_EXPECTATION = re.compile(r"(?P<who>\S+)\s+(?P<verb>can|cannot)\s+(?P<act>\S+)\s+(?P<obj>\S+)")
_KEYS = frozenset({"groups", "expect"})


@dataclass(frozen=True, slots=True)
class Expectation:
    source: str
    line: int
    identity: Identity
    allowed: bool
    act: str
    obj: str

    def __str__(self) -> str:
        verb = "can" if self.allowed else "cannot"
        return f"{describe(self.identity)} {verb} {self.act} {self.obj}"


@dataclass(frozen=True, slots=True)
class Outcome:
    expectation: Expectation
    passed: bool
    detail: str
    """What actually decided: a rule (`policy.csv:12: p, …`) or a reason."""


def parse_expectations(source: str, text: str) -> list[Expectation]:
    """The expectations in a test file; a ConfigError names file:line: reason."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise ConfigError(f"{where}: invalid YAML ({getattr(exc, 'problem', None) or exc})") from exc
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{source}: expected a mapping with 'expect' (and optionally 'groups')")
    sections = {_scalar(source, key): value for key, value in root.value}
    unknown = sorted(set(sections) - _KEYS)
    if unknown:
        raise ConfigError(f"{source}: unknown key {unknown[0]!r} (expected: expect, groups)")
    if "expect" not in sections:
        raise ConfigError(f"{source}: no 'expect' list")
    groups = _groups(source, sections.get("groups"))
    items = _sequence(source, sections["expect"], "expect")
    return [_expectation(source, item, groups) for item in items]


def _expectation(source: str, node: yaml.Node, groups: dict[str, list[str]]) -> Expectation:
    where = f"{source}:{node.start_mark.line + 1}"
    match = _EXPECTATION.fullmatch(_scalar(source, node).strip())
    if match is None:
        raise ConfigError(f"{where}: expected '<user or group:name> can|cannot <action> <object>'")
    problem = pattern_problem(match["obj"])
    if problem is not None:
        raise ConfigError(f"{where}: {problem}")
    who = match["who"]
    return Expectation(
        source,
        node.start_mark.line + 1,
        identity_for(who, groups.get(who, ())),
        match["verb"] == "can",
        match["act"],
        match["obj"],
    )


def _groups(source: str, node: yaml.Node | None) -> dict[str, list[str]]:
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError(f"{source}:{node.start_mark.line + 1}: 'groups' maps users to lists of groups")
    return {
        _scalar(source, user): [
            _scalar(source, group) for group in _sequence(source, groups, "a user's groups")
        ]
        for user, groups in node.value
    }


def _sequence(source: str, node: yaml.Node, what: str) -> list[yaml.Node]:
    if not isinstance(node, yaml.SequenceNode):
        raise ConfigError(f"{source}:{node.start_mark.line + 1}: {what} must be a list")
    return list(node.value)


def _scalar(source: str, node: yaml.Node) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise ConfigError(f"{source}:{node.start_mark.line + 1}: expected a plain value")
    return str(node.value)


def run_expectations(engine: PolicyEngine, expectations: list[Expectation]) -> list[Outcome]:
    return [_run(engine, expectation) for expectation in expectations]


def _run(engine: PolicyEngine, expectation: Expectation) -> Outcome:
    target = KeyPattern.compile(expectation.obj)
    if not target.wildcard:
        # Decided on the canonical URI, as the gateway does; one with none is never readable.
        obj = canonical_object(expectation.obj)
        if isinstance(obj, UriRefusal):
            return Outcome(expectation, not expectation.allowed, str(obj))
        decision = engine.decider(expectation.identity.subjects).decide(obj, expectation.act)
        detail = decision.reason if obj == expectation.obj else f"{decision.reason} (as {obj})"
        return Outcome(expectation, decision.allowed == expectation.allowed, detail)
    if not engine.native:
        return Outcome(expectation, False, "a custom model decides single objects only: drop the '*'")
    return _run_pattern(engine, expectation, target)


def _run_pattern(engine: PolicyEngine, expectation: Expectation, target: KeyPattern) -> Outcome:
    """Prefix sets are nested or disjoint, so: all of `target` is allowed exactly when one
    allow covers it and no deny overlaps it; none of it is allowed exactly when every
    allow's overlap with it lies within some deny."""
    held = engine.role_paths(expectation.identity.subjects)
    rules = [
        (rule, KeyPattern.compile(rule.fields[1]))
        for rule in engine.rules
        if rule.ptype == "p" and rule.fields[0] in held and rule.fields[2] == expectation.act
    ]
    allows = [(rule, pattern) for rule, pattern in rules if rule.fields[3] == "allow"]
    denies = [(rule, pattern) for rule, pattern in rules if rule.fields[3] == "deny"]
    if expectation.allowed:
        deny = next((rule for rule, pattern in denies if pattern.overlap(target) is not None), None)
        if deny is not None:
            return Outcome(expectation, False, f"some of it is denied by {deny}")
        allow = next((rule for rule, pattern in allows if pattern.covers(target)), None)
        if allow is None:
            return Outcome(expectation, False, "no rule allows all of it")
        return Outcome(expectation, True, str(allow))
    for rule, pattern in allows:
        region = pattern.overlap(target)
        if region is not None and not any(deny.covers(region) for _, deny in denies):
            return Outcome(expectation, False, f"some of it is allowed by {rule}")
    return Outcome(expectation, True, "nothing in it is allowed")

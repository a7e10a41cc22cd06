"""Decisions for one identity: allowed or not, and which rule decided.

A Decider is built once per (subjects, scopes, policy) and answers many
`decide(obj, act)` calls. `NativeDecider` evaluates the default model itself
over the few rules that can apply to the identity, because pycasbin's
`enforce()` scans the whole policy on every call (DESIGN §4). `CasbinDecider`
runs casbin for any other model: correct, and slower.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from authz_mcp.policy.casbin_bridge import CASBIN_ERRORS
from authz_mcp.policy.keymatch import KeyPattern, any_matches
from authz_mcp.policy.policy_file import Rule

NO_MATCH = "no matching rule"
OUTSIDE_SCOPES = "outside the token's scopes"
_MEMO_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str
    """The deciding rule (`policies/policy.csv:12: p, …`), `no matching rule`,
    or `outside the token's scopes`. For the audit log, never for clients."""


class Decider(ABC):
    """The policy's answers for one identity, narrowed by its token's scopes."""

    def __init__(self, subjects: tuple[str, ...], scopes: tuple[str, ...] | None) -> None:
        self.subjects = subjects
        self.scopes = scopes
        self._scope_patterns = None if scopes is None else tuple(KeyPattern.compile(s) for s in scopes)

    def decide(self, obj: str, act: str) -> Decision:
        """The policy's decision; an allowed object outside the scopes is then denied."""
        decision = self._policy_decision(obj, act)
        # DESIGN §4: a token's scopes can only narrow what its owner may do.
        scopes = self._scope_patterns
        if decision.allowed and scopes is not None and not any_matches(scopes, obj):
            return Decision(False, OUTSIDE_SCOPES)
        return decision

    @abstractmethod
    def _policy_decision(self, obj: str, act: str) -> Decision: ...


# (0 for deny, 1 for allow, line, reason): the smallest match decides, so any
# deny beats every allow, and among equals the first line is the one named.
_Entry = tuple[int, int, str]


class NativeDecider(Decider):
    """The default model: `g(r.sub, p.sub) && keyMatch(r.obj, p.obj) && r.act == p.act`,
    effect `some(allow) && !some(deny)`, over the rules of the identity's subjects and roles."""

    def __init__(
        self, subjects: tuple[str, ...], scopes: tuple[str, ...] | None, rules: Iterable[Rule]
    ) -> None:
        super().__init__(subjects, scopes)
        self._exact: dict[tuple[str, str], list[_Entry]] = {}
        self._wildcards: dict[str, list[tuple[str, _Entry]]] = {}
        for rule in rules:
            _sub, obj, act, eft = rule.fields
            entry = (0 if eft == "deny" else 1, rule.line, str(rule))
            pattern = KeyPattern.compile(obj)
            if pattern.wildcard:
                self._wildcards.setdefault(act, []).append((pattern.prefix, entry))
            else:
                self._exact.setdefault((act, obj), []).append(entry)

    def _policy_decision(self, obj: str, act: str) -> Decision:
        matched = [entry for prefix, entry in self._wildcards.get(act, ()) if obj.startswith(prefix)]
        matched.extend(self._exact.get((act, obj), ()))
        if not matched:
            return Decision(False, NO_MATCH)
        effect, _line, reason = min(matched)
        return Decision(effect == 1, reason)


class CasbinDecider(Decider):
    """Any other model: casbin's `enforce_ex` on an enforcer that links the user to
    their groups, memoized per (obj, act)."""

    def __init__(
        self,
        subjects: tuple[str, ...],
        scopes: tuple[str, ...] | None,
        enforcer: Any,
        rules: Mapping[tuple[str, ...], Rule],
    ) -> None:
        super().__init__(subjects, scopes)
        self._enforcer = enforcer
        self._rules = rules
        self._memo: dict[tuple[str, str], Decision] = {}

    def _policy_decision(self, obj: str, act: str) -> Decision:
        decision = self._memo.get((obj, act))
        if decision is None:
            decision = self._enforce(obj, act)
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            self._memo[(obj, act)] = decision
        return decision

    def _enforce(self, obj: str, act: str) -> Decision:
        try:
            allowed, explain = self._enforcer.enforce_ex(self.subjects[0], obj, act)
        except CASBIN_ERRORS as exc:
            # Authorization fails closed; the reason reaches the audit log only.
            return Decision(False, f"policy evaluation failed: {exc}")
        rule = self._rules.get(tuple(explain))
        return Decision(bool(allowed), NO_MATCH if rule is None else str(rule))

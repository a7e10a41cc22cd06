"""Why a decision came out as it did: the rules that matched and the role chains behind them.

The gateway itself needs only the deciding rule (the audit reason); admins asking
"why can bob call this?" need every rule in play and how the identity came to
hold the subject each rule names. Pure, like the rest of the core.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from authz_mcp.policy.decider import Decision
from authz_mcp.policy.engine import PolicyEngine
from authz_mcp.policy.keymatch import KeyPattern
from authz_mcp.policy.policy_file import Rule


@dataclass(frozen=True, slots=True)
class Explanation:
    subjects: tuple[str, ...]
    obj: str
    act: str
    decision: Decision
    matched: tuple[Rule, ...]
    """Every `p` rule that applies to (obj, act) for a subject the identity holds, in
    file order. With a custom model only the deciding rule is known."""
    chains: Mapping[str, tuple[str, ...]]
    """Each subject and role the identity holds, with the links that reach it."""

    def chain_of(self, rule: Rule) -> tuple[str, ...]:
        """How the identity holds the subject `rule` names."""
        return self.chains[rule.fields[0]]


def explain(engine: PolicyEngine, subjects: tuple[str, ...], obj: str, act: str) -> Explanation:
    """The policy's decision on (obj, act) for an identity, with the rules and roles behind it."""
    decision = engine.decider(subjects).decide(obj, act)
    chains = engine.role_paths(subjects)
    if engine.native:
        matched = tuple(
            rule
            for rule in engine.rules
            if rule.ptype == "p"
            and rule.fields[0] in chains
            and rule.fields[2] == act
            and KeyPattern.compile(rule.fields[1]).matches(obj)
        )
    else:
        matched = tuple(rule for rule in engine.rules if str(rule) == decision.reason)
    return Explanation(subjects, obj, act, decision, matched, chains)

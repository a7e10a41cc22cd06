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
from authz_mcp.policy.uri import UriRefusal, canonical_object


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
    requested: str | None = None
    """The object as asked, when its resource URI was not in canonical form (`obj` is then
    the canonical one). A URI with no canonical form is denied with nothing matched."""

    def chain_of(self, rule: Rule) -> tuple[str, ...]:
        """How the identity holds the subject `rule` names."""
        return self.chains[rule.fields[0]]


def explain(engine: PolicyEngine, subjects: tuple[str, ...], obj: str, act: str) -> Explanation:
    """The policy's decision on (obj, act) for an identity, with the rules and roles behind it.

    A resource URI is decided on in canonical form, as the gateway does."""
    chains = engine.role_paths(subjects)
    canonical = canonical_object(obj)
    if isinstance(canonical, UriRefusal):
        return Explanation(subjects, obj, act, Decision(False, str(canonical)), (), chains)
    requested = obj if canonical != obj else None
    obj = canonical
    decision = engine.decider(subjects).decide(obj, act)
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
    return Explanation(subjects, obj, act, decision, matched, chains, requested)

"""`policy explain`'s report as lines of text, for the CLI and the web console alike."""

from __future__ import annotations

from authz_mcp.admin.identities import describe
from authz_mcp.auth.identity import Identity
from authz_mcp.policy.explain import Explanation


def explanation_lines(identity: Identity, action: str, answer: Explanation) -> list[str]:
    verdict = "allow" if answer.decision.allowed else "deny"
    lines = [f"{describe(identity)} {action} {answer.obj}: {verdict}"]
    if answer.requested is not None:
        lines.append(f"  requested as: {answer.requested}")
    lines.append(f"  decided by: {answer.decision.reason}")
    lines.append("  matching rules:" if answer.matched else "  matching rules: none")
    lines += [f"    {rule}  (via {' -> '.join(answer.chain_of(rule))})" for rule in answer.matched]
    chains = [chain for chain in answer.chains.values() if len(chain) > 1]
    lines.append("  roles held:" if chains else "  roles held: none")
    lines += [f"    {' -> '.join(chain)}" for chain in chains]
    return lines

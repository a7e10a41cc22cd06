"""Token administrators are decided by the same Casbin policy: `manage` on `authz-mcp/tokens`."""

from __future__ import annotations

import pytest

from authz_mcp.errors import ConfigError
from authz_mcp.policy import PolicyEngine
from authz_mcp.policy.actions import MANAGE, TOKENS_OBJECT
from tests.cli.runner import MODEL

POLICY = """\
p, role:token-admin, authz-mcp/tokens, manage, allow
p, role:dev, *, call, allow
p, mallory, authz-mcp/tokens, manage, deny
g, group:security, role:token-admin
g, mallory, role:token-admin
"""


@pytest.fixture
def engine() -> PolicyEngine:
    return PolicyEngine.from_text(MODEL.read_text(), POLICY)


@pytest.mark.parametrize(
    ("subjects", "allowed"),
    [
        (("alice", "group:security"), True),
        (("bob",), False),
        (("mallory",), False),  # deny overrides the role's allow
    ],
)
def test_manage_on_the_tokens_object_makes_an_administrator(
    engine: PolicyEngine, subjects: tuple[str, ...], allowed: bool
) -> None:
    assert engine.decider(subjects).decide(TOKENS_OBJECT, MANAGE).allowed is allowed


def test_call_rules_never_grant_manage_nor_manage_rules_call(engine: PolicyEngine) -> None:
    dev = PolicyEngine.from_text(MODEL.read_text(), POLICY + "g, dave, role:dev\n").decider(("dave",))

    assert dev.decide(TOKENS_OBJECT, MANAGE).allowed is False
    assert engine.decider(("alice", "group:security")).decide(TOKENS_OBJECT, "call").allowed is False


def test_unknown_actions_are_still_refused() -> None:
    with pytest.raises(ConfigError, match="unknown action"):
        PolicyEngine.from_text(MODEL.read_text(), "p, bob, authz-mcp/tokens, administer, allow\n")

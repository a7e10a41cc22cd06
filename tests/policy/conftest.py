"""Shared inputs for the policy tests: the bundled example, and files written on demand."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from authz_mcp.policy import PolicyEngine

POLICIES = Path(__file__).resolve().parents[2] / "policies"
MODEL_PATH = POLICIES / "model.conf"
POLICY_PATH = POLICIES / "policy.csv"

# The default model, line for line as a test would write it (line 10 is the matcher).
DEFAULT_MODEL = """\
[request_definition]
r = sub, obj, act
[policy_definition]
p = sub, obj, act, eft
[role_definition]
g = _, _
[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))
[matchers]
m = g(r.sub, p.sub) && keyMatch(r.obj, p.obj) && r.act == p.act
"""

WriteFiles = Callable[[str, str], tuple[Path, Path]]


@pytest.fixture(scope="session")
def example() -> PolicyEngine:
    return PolicyEngine.load(MODEL_PATH, POLICY_PATH)


@pytest.fixture
def write_files(tmp_path: Path) -> WriteFiles:
    """Write a model and a policy into tmp_path; returns their paths."""

    def write(model: str, policy: str) -> tuple[Path, Path]:
        model_path, policy_path = tmp_path / "model.conf", tmp_path / "policy.csv"
        model_path.write_text(model, encoding="utf-8")
        policy_path.write_text(policy, encoding="utf-8")
        return model_path, policy_path

    return write


def engine_for(policy: str, model: str = DEFAULT_MODEL) -> PolicyEngine:
    return PolicyEngine.from_text(model, policy)

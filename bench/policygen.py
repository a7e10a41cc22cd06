"""Generated large policies: 1,000 users in 100 roles, 10,000 lines in all.

Each role holds exact tool rules, a few prefix patterns and one deny, drawn from its own seeded
random stream, so that users of different roles see different subsets of the catalog and two
seeds give two different policies of the same size. The bench user keeps every tool, so that a
load running through a reload is never refused by either version.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bench.services import BENCH_USER, UPSTREAM_NAME

USERS = 1_000
ROLES = 100
LINES = 10_000
_PATTERNS_PER_ROLE = 3
_DENIES_PER_ROLE = 1


@dataclass(frozen=True)
class GeneratedPolicy:
    text: str
    lines: int
    visible: dict[str, frozenset[str]]
    """For each role, the tool names (as the upstream names them) its users may call."""

    @staticmethod
    def user(index: int) -> str:
        return f"user{index:04d}"

    @staticmethod
    def role_of(index: int) -> str:
        return f"role:r{index % ROLES:03d}"


def generate(tools: int, *, seed: int) -> GeneratedPolicy:
    """A LINES-line policy over an upstream offering tool_0000 … tool_<tools - 1>."""
    names = [f"tool_{index:04d}" for index in range(tools)]
    lines = [f"p, {BENCH_USER}, {UPSTREAM_NAME}/tools/*, call, allow"]
    lines += [f"g, {GeneratedPolicy.user(i)}, {GeneratedPolicy.role_of(i)}" for i in range(USERS)]
    per_role = (LINES - len(lines)) // ROLES
    exact = per_role - _PATTERNS_PER_ROLE - _DENIES_PER_ROLE
    visible: dict[str, frozenset[str]] = {}
    for role_index in range(ROLES):
        role = GeneratedPolicy.role_of(role_index)
        rng = random.Random(seed * 1_000_003 + role_index)
        allowed = set(rng.sample(names, exact))
        lines += [f"p, {role}, {UPSTREAM_NAME}/tools/{name}, call, allow" for name in sorted(allowed)]
        # tool_012* matches tool_0120 … tool_0129: ten tools per pattern.
        for stem in rng.sample(range(tools // 10), _PATTERNS_PER_ROLE):
            prefix = f"tool_{stem:03d}"
            lines.append(f"p, {role}, {UPSTREAM_NAME}/tools/{prefix}*, call, allow")
            allowed.update(name for name in names if name.startswith(prefix))
        denied = rng.sample(sorted(allowed), _DENIES_PER_ROLE)
        lines += [f"p, {role}, {UPSTREAM_NAME}/tools/{name}, call, deny" for name in denied]
        visible[role] = frozenset(allowed - set(denied))
    while len(lines) < LINES:
        # Padding rules for a tool the upstream does not offer: they load, but change no view.
        lines.append(
            f"p, role:r{len(lines) % ROLES:03d}, {UPSTREAM_NAME}/tools/absent_{len(lines)}, call, allow"
        )
    return GeneratedPolicy("\n".join(lines) + "\n", len(lines), visible)

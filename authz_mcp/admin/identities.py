"""Identities to evaluate a policy for when no token is at hand: CLI flags, test files, impact."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from authz_mcp.auth.identity import Identity
from authz_mcp.policy import PolicyEngine

ADMIN_ISSUER = "authz-mcp admin"
GROUP = "group:"


def identity_for(who: str, groups: Sequence[str] = ()) -> Identity:
    """What a token for user `who` carrying `groups` would give.

    `who` may also be `group:<name>`: a member of that group who holds nothing else.
    Groups are accepted with or without their `group:` prefix.
    """
    names = tuple(group.removeprefix(GROUP) for group in groups)
    return Identity(subject=who, issuer=ADMIN_ISSUER, groups=names)


def describe(identity: Identity) -> str:
    """`alice`, `alice (groups: eng, ops)` or `group:eng`."""
    if not identity.groups:
        return identity.subject
    return f"{identity.subject} (groups: {', '.join(identity.groups)})"


def known_identities(engines: Iterable[PolicyEngine]) -> list[Identity]:
    """Every user and group the policies name, users first, each sorted.

    Members on the left of `g` lines and subjects of `p` lines count, except names
    that something else is assigned to: those are roles, not principals.
    """
    members: set[str] = set()
    roles: set[str] = set()
    for engine in engines:
        for rule in engine.rules:
            if rule.ptype == "g":
                members.add(rule.fields[0])
                roles.add(rule.fields[1])
            elif rule.ptype == "p":
                members.add(rule.fields[0])
    names = {name for name in members if name.startswith(GROUP) or name not in roles}
    users = sorted(name for name in names if not name.startswith(GROUP))
    groups = sorted(name for name in names if name.startswith(GROUP))
    return [identity_for(name) for name in (*users, *groups)]

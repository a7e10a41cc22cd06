"""Who is asking: the result of authentication, the input of authorization."""

from __future__ import annotations

from dataclasses import dataclass

# Users, groups and roles share one Casbin namespace: no user may be named like a group or role.
RESERVED_SUBJECT_PREFIXES = ("group:", "role:")


@dataclass(frozen=True, slots=True)
class Identity:
    subject: str
    """The user id: the configured subject claim of a JWT, or a personal token's owner."""
    issuer: str
    """The JWT issuer, or "pat" for personal access tokens."""
    groups: tuple[str, ...] = ()
    """Group names from the configured groups claim (without the `group:` prefix)."""
    scopes: tuple[str, ...] | None = None
    """Object patterns that narrow what this credential may do (personal tokens); None: no narrowing."""
    expires_at: float | None = None
    """Unix time after which the credential is no longer valid."""
    oauth_scopes: tuple[str, ...] = ()
    """The OAuth scopes an identity provider granted the token (`scope` or `scp` claim)."""

    @property
    def key(self) -> str:
        """Stable identifier of the principal; sessions are bound to it."""
        return f"{self.issuer}\x1f{self.subject}"

    @property
    def subjects(self) -> tuple[str, ...]:
        """Casbin subjects: the user id, then `group:<name>` for each group."""
        return (self.subject, *(f"group:{group}" for group in self.groups))

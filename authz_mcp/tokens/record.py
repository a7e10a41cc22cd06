"""What the gateway knows about a personal access token: everything except the token."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

Status = Literal["active", "expired", "revoked"]

RETENTION_SECONDS = 7 * 24 * 3600
"""How long a store keeps a record after the token expired, so that `list` still shows recently
expired and revoked tokens; then it is dropped. Every token expires, so no store grows without
bound."""


@dataclass(frozen=True, slots=True)
class TokenRecord:
    token_id: str
    token_hash: str
    """Hex SHA-256 of the token (secret.token_hash); never shown to anyone."""
    owner: str
    name: str
    scopes: tuple[str, ...] | None
    """Object patterns (DESIGN §4) narrowing what the owner may do; None: no narrowing."""
    created_at: float
    expires_at: float
    created_by: str
    """Who made it: the owner through the API, an admin's subject, or `cli`."""
    last_used_at: float | None = None
    revoked_at: float | None = None

    def status(self, now: float) -> Status:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "active"

    @property
    def purge_at(self) -> float:
        return self.expires_at + RETENTION_SECONDS

    def revoked(self, at: float) -> TokenRecord:
        """This record revoked at `at`; a second revocation keeps the first time."""
        return self if self.revoked_at is not None else replace(self, revoked_at=at)

    def public(self, now: float) -> dict[str, Any]:
        """The metadata shown to people (API and CLI): everything but the hash."""
        return {
            "id": self.token_id,
            "owner": self.owner,
            "name": self.name,
            "scopes": None if self.scopes is None else list(self.scopes),
            "status": self.status(now),
            "created_at": iso_time(self.created_at),
            "expires_at": iso_time(self.expires_at),
            "last_used_at": iso_time(self.last_used_at),
            "revoked_at": iso_time(self.revoked_at),
            "created_by": self.created_by,
        }

    def to_fields(self) -> dict[str, str]:
        """A flat text form for key-value stores; absent optional values are left out."""
        fields = {
            "id": self.token_id,
            "hash": self.token_hash,
            "owner": self.owner,
            "name": self.name,
            "created_at": repr(self.created_at),
            "expires_at": repr(self.expires_at),
            "created_by": self.created_by,
        }
        if self.scopes is not None:
            fields["scopes"] = json.dumps(list(self.scopes))
        if self.last_used_at is not None:
            fields["last_used_at"] = repr(self.last_used_at)
        if self.revoked_at is not None:
            fields["revoked_at"] = repr(self.revoked_at)
        return fields

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> TokenRecord:
        """The inverse of `to_fields`; ValueError (or KeyError) when a field is malformed."""
        scopes = None
        if "scopes" in fields:
            loaded = json.loads(fields["scopes"])
            if not isinstance(loaded, list) or not all(isinstance(item, str) for item in loaded):
                raise ValueError("scopes must be a list of strings")
            scopes = tuple(loaded)
        return cls(
            token_id=fields["id"],
            token_hash=fields["hash"],
            owner=fields["owner"],
            name=fields["name"],
            scopes=scopes,
            created_at=float(fields["created_at"]),
            expires_at=float(fields["expires_at"]),
            created_by=fields["created_by"],
            last_used_at=_optional_float(fields.get("last_used_at")),
            revoked_at=_optional_float(fields.get("revoked_at")),
        )


def _optional_float(value: str | None) -> float | None:
    return None if value is None else float(value)


def iso_time(timestamp: float | None) -> str | None:
    """RFC 3339 UTC time, to the second, as the API and the CLI show it."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

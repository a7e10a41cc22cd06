"""One downstream MCP session, and its stored form.

A record is stored as a flat map of text fields, one field per independently
updated part: each upstream handle and each subscription has its own field, so
two replicas updating different parts of one session (HSET on separate fields
in Redis) never overwrite each other.

The session id itself is not among the fields: stores key records by
`session_key(session_id)`, and the caller supplies the id when reading, so a
dump of the store reveals no live session id.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from authz_mcp.jsonrpc import JSONObject

UPSTREAM_FIELD = "upstream:"
SUBSCRIPTION_FIELD = "subscription:"
LOG_LEVEL_FIELD = "log_level"
_SCALARS = ("owner", "protocol_version", "client_info", "client_capabilities", "created_at")


@dataclass(slots=True)
class SessionRecord:
    session_id: str
    owner: str  # the authenticated principal key the session is bound to
    protocol_version: str
    client_info: JSONObject
    client_capabilities: JSONObject
    created_at: float  # wall-clock seconds since the epoch
    upstream_sessions: dict[str, str] = field(default_factory=dict)  # upstream name -> handle
    log_level: str | None = None
    subscriptions: list[str] = field(default_factory=list)  # distinct resource URIs, sorted

    def to_fields(self) -> dict[str, str]:
        """The stored form: every field a string, the session id left out."""
        fields = {
            "owner": self.owner,
            "protocol_version": self.protocol_version,
            "client_info": _dump(self.client_info),
            "client_capabilities": _dump(self.client_capabilities),
            "created_at": repr(self.created_at),
        }
        if self.log_level is not None:
            fields[LOG_LEVEL_FIELD] = self.log_level
        for upstream, handle in self.upstream_sessions.items():
            fields[UPSTREAM_FIELD + upstream] = handle
        for uri in self.subscriptions:
            fields[SUBSCRIPTION_FIELD + uri] = "1"
        return fields

    @classmethod
    def from_fields(cls, session_id: str, fields: dict[str, str]) -> SessionRecord:
        """Rebuild a record from `to_fields` output; ValueError when it is malformed."""
        missing = [name for name in _SCALARS if name not in fields]
        if missing:
            raise ValueError(f"stored session lacks fields {missing}")
        return cls(
            session_id=session_id,
            owner=fields["owner"],
            protocol_version=fields["protocol_version"],
            client_info=_load_object(fields["client_info"]),
            client_capabilities=_load_object(fields["client_capabilities"]),
            created_at=float(fields["created_at"]),
            upstream_sessions={
                name.removeprefix(UPSTREAM_FIELD): handle
                for name, handle in fields.items()
                if name.startswith(UPSTREAM_FIELD)
            },
            log_level=fields.get(LOG_LEVEL_FIELD),
            subscriptions=sorted(
                name.removeprefix(SUBSCRIPTION_FIELD)
                for name in fields
                if name.startswith(SUBSCRIPTION_FIELD)
            ),
        )


PRINCIPAL_PREFIX = "~"
"""Starts the id of a principal's record; minted session ids (URL-safe base64) never do."""


def principal_session_id(owner: str) -> str:
    """The id of `owner`'s per-principal record: what a sessionless (2026-07-28) client keeps
    on the gateway, such as the upstream sessions held on its behalf."""
    return PRINCIPAL_PREFIX + hashlib.sha256(owner.encode()).hexdigest()


def is_principal_session_id(session_id: str) -> bool:
    return session_id.startswith(PRINCIPAL_PREFIX)


def session_key(session_id: str) -> str:
    """The store key of a session: its id's SHA-256, so stored keys are not live ids."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def _dump(value: JSONObject) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _load_object(text: str) -> JSONObject:
    value: Any = json.loads(text)  # JSONDecodeError is a ValueError
    if not isinstance(value, dict):
        raise ValueError("stored session field is not a JSON object")
    return value

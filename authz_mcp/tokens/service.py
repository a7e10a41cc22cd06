"""The rules for personal tokens, shared by the CLI and the self-service API.

Scopes can only narrow (DESIGN §4): they are object patterns intersected with the owner's
policy at every request, so a pattern naming more than the owner may use grants nothing more.
Every token expires, after at most `auth.pat.max_lifetime_days`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from authz_mcp.auth.identity import RESERVED_SUBJECT_PREFIXES
from authz_mcp.config.model import PersonalTokenConfig
from authz_mcp.errors import InvalidTokenRequest, TokenLimitReached, TokenNotFound
from authz_mcp.policy.keymatch import pattern_problem
from authz_mcp.tokens.record import TokenRecord
from authz_mcp.tokens.secret import new_token, new_token_id, token_hash
from authz_mcp.tokens.store import TokenStore

DAY = 86_400
MIN_LIFETIME_SECONDS = 60
MAX_NAME_LENGTH = 100
MAX_OWNER_LENGTH = 256
MAX_SCOPES = 50
MAX_SCOPE_LENGTH = 1024


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    """The secret: shown to its owner once, never stored."""
    record: TokenRecord


class TokenService:
    def __init__(
        self, store: TokenStore, settings: PersonalTokenConfig, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.settings = settings
        self._clock = clock

    async def create(
        self,
        *,
        owner: str,
        created_by: str,
        name: str = "",
        scopes: Sequence[str] | None = None,
        lifetime_seconds: float | None = None,
    ) -> IssuedToken:
        check_owner(owner)
        checked_scopes = check_scopes(scopes)
        lifetime = self._lifetime(lifetime_seconds)
        if len(name) > MAX_NAME_LENGTH or not name.isprintable():
            raise InvalidTokenRequest(f"name must be at most {MAX_NAME_LENGTH} printable characters")
        now = self._clock()
        active = [r for r in await self.store.list_tokens(owner) if r.status(now) == "active"]
        if len(active) >= self.settings.max_per_user:
            raise TokenLimitReached(f"at most {self.settings.max_per_user} active tokens per user")
        token = new_token()
        record = TokenRecord(
            token_id=new_token_id(),
            token_hash=token_hash(token),
            owner=owner,
            name=name,
            scopes=checked_scopes,
            created_at=now,
            expires_at=now + lifetime,
            created_by=created_by,
        )
        await self.store.add(record)
        return IssuedToken(token, record)

    async def list_tokens(self, owner: str | None) -> list[TokenRecord]:
        """`owner`'s tokens, or everyone's when None (the caller checked that it may)."""
        return await self.store.list_tokens(owner)

    async def get(self, token_id: str, owner: str | None) -> TokenRecord:
        """The token, if it belongs to `owner` (any owner when None); else TokenNotFound, the
        same for another user's token as for an unknown one."""
        record = await self.store.get(token_id)
        if record is None or (owner is not None and record.owner != owner):
            raise TokenNotFound()
        return record

    async def revoke(self, token_id: str, owner: str | None) -> TokenRecord:
        await self.get(token_id, owner)
        record = await self.store.revoke(token_id, self._clock())
        if record is None:
            raise TokenNotFound()
        return record

    async def find_by_token(self, token: str) -> TokenRecord:
        """The record of a token someone holds (e.g. to revoke a leaked one)."""
        record = await self.store.find(token_hash(token))
        if record is None:
            raise TokenNotFound()
        return record

    def _lifetime(self, requested: float | None) -> float:
        longest = self.settings.max_lifetime_days * DAY
        if requested is None:
            return float(self.settings.default_lifetime_days * DAY)
        if not MIN_LIFETIME_SECONDS <= requested <= longest:
            raise InvalidTokenRequest(
                f"lifetime must be between {MIN_LIFETIME_SECONDS} seconds and "
                f"{self.settings.max_lifetime_days} days"
            )
        return float(requested)


def check_owner(owner: str) -> None:
    # Users, groups and roles share the policy's namespace: a token owned by `group:x` or
    # `role:y` would hold that group's or role's rules directly.
    if not owner or len(owner) > MAX_OWNER_LENGTH or not owner.isprintable() or owner != owner.strip():
        raise InvalidTokenRequest("the owner must be a user id")
    if owner.startswith(RESERVED_SUBJECT_PREFIXES):
        raise InvalidTokenRequest("the owner must be a user id, not a group or role")


def check_scopes(scopes: Sequence[str] | None) -> tuple[str, ...] | None:
    if scopes is None:
        return None
    if not scopes or len(scopes) > MAX_SCOPES:
        raise InvalidTokenRequest(f"scopes must hold 1 to {MAX_SCOPES} patterns, or be left out")
    for scope in scopes:
        problem = pattern_problem(scope)
        if problem is None and (len(scope) > MAX_SCOPE_LENGTH or not scope.isprintable()):
            problem = f"patterns are at most {MAX_SCOPE_LENGTH} printable characters"
        if problem is not None:
            raise InvalidTokenRequest(f"invalid scope: {problem}")
    return tuple(dict.fromkeys(scopes))

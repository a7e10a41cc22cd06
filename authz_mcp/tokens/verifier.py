"""Personal access token verification: the token in, the owner's Identity out.

Nothing is cached: each request reads the record, so a revocation made through any process
sharing the store stops the token on the very next request, on every replica (DESIGN §3).
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable

from authz_mcp.auth.identity import Identity
from authz_mcp.errors import InvalidToken
from authz_mcp.tokens.secret import is_well_formed, token_hash
from authz_mcp.tokens.store import TokenStore

logger = logging.getLogger(__name__)

PAT_ISSUER = "pat"
# Writing the last-used time on every request would double the store's load for a value
# that nobody needs to the second.
LAST_USED_RESOLUTION_SECONDS = 60.0


class PatVerifier:
    def __init__(self, store: TokenStore, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock

    async def __call__(self, token: str) -> Identity:
        if not is_well_formed(token):
            raise InvalidToken("malformed personal token")
        digest = token_hash(token)
        record = await self._store.find(digest)
        if record is None or not hmac.compare_digest(record.token_hash, digest):
            raise InvalidToken("unknown personal token")
        now = self._clock()
        status = record.status(now)
        if status != "active":
            refusal = InvalidToken(f"{status} personal token")
            refusal.add_context(subject=record.owner, token_id=record.token_id)
            raise refusal
        if record.last_used_at is None or now - record.last_used_at >= LAST_USED_RESOLUTION_SECONDS:
            await self._store.touch(record.token_id, now)
        # Groups come only from an identity provider's token: a personal token made while its
        # owner was in a group must not keep that group's rights after they leave it.
        return Identity(
            subject=record.owner,
            issuer=PAT_ISSUER,
            groups=(),
            scopes=record.scopes,
            expires_at=record.expires_at,
        )

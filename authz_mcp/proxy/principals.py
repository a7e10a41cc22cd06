"""What the gateway keeps for a user whose client has no session (2026-07-28).

A modern request carries no session, so the gateway keys what it holds on the
user's behalf on the authenticated identity: one record per principal in the
session store (`principal_session_id`), with the upstream sessions opened for
them on legacy upstreams. It lives and expires like a session (idle expiry,
the store's limits); in memory the gateway bounds the rest: open
`subscriptions/listen` streams and parked MRTR exchanges per principal.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from authz_mcp.auth.identity import Identity
from authz_mcp.errors import LimitReached
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.protocol import MODERN_VERSION
from authz_mcp.sessions import SessionRecord, SessionStore, principal_session_id

MAX_LISTENS_PER_PRINCIPAL = 8

# What an upstream session opened for a modern client may ask for: the gateway turns
# such asks into `input_required` results, checked against each request's capabilities.
_UPSTREAM_CAPABILITIES: JSONObject = {"sampling": {}, "elicitation": {}, "roots": {}}


async def principal_session(store: SessionStore, identity: Identity) -> SessionRecord:
    """The principal's record, created on first use; each use restarts its idle period."""
    record = SessionRecord(
        session_id=principal_session_id(identity.key),
        owner=identity.key,
        protocol_version=MODERN_VERSION,
        client_info={},
        client_capabilities=dict(_UPSTREAM_CAPABILITIES),
        created_at=time.time(),
    )
    return await store.get_or_create(record)


@contextmanager
def listen_slot(open_streams: Counter[str], principal: str) -> Iterator[None]:
    """Hold one of the principal's `subscriptions/listen` slots for a stream's lifetime."""
    if open_streams[principal] >= MAX_LISTENS_PER_PRINCIPAL:
        raise LimitReached()
    open_streams[principal] += 1
    try:
        yield
    finally:
        open_streams[principal] -= 1
        if open_streams[principal] <= 0:
            del open_streams[principal]

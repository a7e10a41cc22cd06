"""`*/list_changed` for clients: told exactly when their own view changed.

A change (an upstream's catalog refetched, a policy swapped in) runs between two
looks at every listening client's permitted view; each client whose view of a
kind differs gets that kind's `notifications/*/list_changed`, and everyone else
hears nothing. Catalog and policy changes go through the same `around_change`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import anyio

from authz_mcp.auth.identity import Identity
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.proxy.capsets import Capset
from authz_mcp.proxy.catalog import Kind
from authz_mcp.proxy.relay import Outbox
from authz_mcp.proxy.view import PermittedView

logger = logging.getLogger(__name__)

_DELIVERY_TIMEOUT = 5.0


class Listening(Protocol):
    """A client with an open stream for server-initiated messages."""

    identity: Identity
    outbox: Outbox
    capset: Capset
    """What the client declared: its view is of that set's catalog."""


ViewNow = Callable[[Identity, Capset], PermittedView]
"""An identity's view of the catalog as it stands, without waiting for any refresh."""
RequestRefresh = Callable[[str, tuple[Kind, ...]], object]
"""Ask an upstream's refresh owner to refetch lists of these kinds (refresher.py)."""


class ListChanges:
    def __init__(
        self, request_refresh: RequestRefresh, view_now: ViewNow, listeners: Mapping[str, Listening]
    ) -> None:
        self._request_refresh = request_refresh
        self._view_now = view_now
        self._listeners = listeners

    def announced(self, upstream: str, kinds: tuple[Kind, ...]) -> None:
        """An upstream said its lists of `kinds` changed: its refresh owner refetches them
        (refresher.py) and tells the clients whose view changed. Never waits: this runs
        where the upstream's notifications are delivered."""
        self._request_refresh(upstream, kinds)

    async def around_change(self, kinds: tuple[Kind, ...], change: Callable[[], Awaitable[bool]]) -> None:
        """Run `change` (True when it changed anything) and send `*/list_changed` to each
        client whose view of `kinds` differs before and after it."""
        # No lock across changes: a slow upstream fetch must not hold up a policy swap.
        # When two changes overlap, each client's two looks still bracket its own
        # change, so a client whose view changed is told (at worst twice), and one
        # whose view ends as it began is not.
        before = self._looks(kinds)
        if not await change():
            return
        notices: dict[_ViewKey, list[JSONObject]] = {}
        for session_id, key in before.keys_of.items():
            listener = self._listeners.get(session_id)
            if listener is None:
                continue
            if key not in notices:
                # Listeners sharing an identity and capability set share one view: compare
                # once, and hand each of them the same message objects.
                new = self._visible(listener, kinds)
                changed = {
                    _list_changed_method(kind)
                    for kind, o, n in zip(kinds, before.views[key], new, strict=True)
                    if o != n
                }
                notices[key] = [{"jsonrpc": "2.0", "method": method} for method in sorted(changed)]
            if notices[key]:
                # In turn rather than a task each: a write to a stream that keeps up does not
                # suspend, and a task per stream cost more than the write (issue 12).
                await _deliver(listener.outbox, notices[key])

    def _looks(self, kinds: tuple[Kind, ...]) -> _Looks:
        """Every listener's view of `kinds`, computed once per distinct view."""
        looks = _Looks({}, {})
        for session_id, listener in self._listeners.items():
            key = _view_key(listener)
            looks.keys_of[session_id] = key
            if key not in looks.views:
                looks.views[key] = self._visible(listener, kinds)
        return looks

    def _visible(self, listener: Listening, kinds: tuple[Kind, ...]) -> list[list[JSONObject]]:
        # The catalog as it stands: this runs inside a refresh, which must not wait for itself.
        view = self._view_now(listener.identity, listener.capset)
        return [view.items(kind) for kind in kinds]


_ViewKey = tuple[tuple[str, ...], tuple[str, ...] | None, Capset]
"""What a permitted view depends on besides the catalog and policy (`ViewCache`'s key)."""


@dataclass(slots=True)
class _Looks:
    keys_of: dict[str, _ViewKey]
    """Each listening session's view key."""
    views: dict[_ViewKey, list[list[JSONObject]]]


def _view_key(listener: Listening) -> _ViewKey:
    return (listener.identity.subjects, listener.identity.scopes, listener.capset)


async def _deliver(outbox: Outbox, messages: list[JSONObject]) -> None:
    """One client that stopped reading must not hold up the others' notifications."""
    with anyio.move_on_after(_DELIVERY_TIMEOUT):
        for message in messages:
            await outbox(message)


def _list_changed_method(kind: Kind) -> str:
    return f"notifications/{kind.capability}/list_changed"

"""A user's permitted view: what they may discover and use, computed once.

Visibility equals permission (DESIGN §4): an item is listed exactly when its
action is allowed. A view is built once per (subjects, scopes, policy version,
catalog version) and then answers every check in O(1); list requests never
run the policy per item.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from authz_mcp.auth.identity import Identity
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.policy import CALL, GET, READ, Decider, Decision, PolicyEngine, resource_object
from authz_mcp.proxy.capsets import Capset
from authz_mcp.proxy.catalog import Catalog, Entry, Kind

ACTION_FOR: Mapping[Kind, str] = {
    Kind.TOOLS: CALL,
    Kind.PROMPTS: GET,
    Kind.RESOURCES: READ,
    Kind.TEMPLATES: READ,
}


@dataclass(frozen=True)
class PermittedView:
    catalog: Catalog
    policy_version: str
    decider: Decider
    visible: Mapping[Kind, tuple[Entry, ...]]
    reasons: Mapping[Kind, Mapping[str, Decision]]

    def items(self, kind: Kind) -> list[JSONObject]:
        return [entry.item for entry in self.visible[kind]]

    def lookup(self, kind: Kind, key: str) -> tuple[Entry | None, Decision | None]:
        """The entry if it exists, and the decision on it (None when it does not exist)."""
        entry = self.catalog.get(kind, key)
        if entry is None:
            return None, None
        return entry, self.reasons[kind][key]

    def resource(self, uri: str) -> tuple[str | None, Decision | None]:
        """(upstream, decision) for reading `uri`; (None, None) when no upstream serves it.

        A concrete URI is authorized on its own object, also when it is reached through a
        template: `demo/resources/demo://users/*` covers both the template and the URIs.
        """
        entry = self.catalog.get(Kind.RESOURCES, uri)
        if entry is not None:
            return entry.upstream, self.reasons[Kind.RESOURCES][uri]
        upstream = self.catalog.route_resource(uri)
        if upstream is None:
            return None, None
        return upstream, self.decider.decide(resource_object(upstream, uri), READ)


def build_view(catalog: Catalog, policy: PolicyEngine, identity: Identity) -> PermittedView:
    decider = policy.decider(identity.subjects, identity.scopes)
    visible: dict[Kind, tuple[Entry, ...]] = {}
    reasons: dict[Kind, dict[str, Decision]] = {}
    for kind in Kind:
        action = ACTION_FOR[kind]
        decisions = {
            key: decider.decide(entry.object, action) for key, entry in catalog.entries[kind].items()
        }
        reasons[kind] = decisions
        visible[kind] = tuple(entry for key, entry in catalog.entries[kind].items() if decisions[key].allowed)
    return PermittedView(catalog, policy.version, decider, visible, reasons)


class ViewCache:
    """Bounded LRU of permitted views keyed by what a decision depends on."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._max = max_entries
        self._views: OrderedDict[tuple[object, ...], PermittedView] = OrderedDict()

    def get(self, catalog: Catalog, policy: PolicyEngine, identity: Identity) -> PermittedView:
        key = (identity.subjects, identity.scopes, policy.version, catalog.version)
        view = self._views.get(key)
        if view is not None:
            self._views.move_to_end(key)
            return view
        view = build_view(catalog, policy, identity)
        self._views[key] = view
        if len(self._views) > self._max:
            self._views.popitem(last=False)
        return view


ViewFor = Callable[[Identity, Capset], Awaitable[PermittedView]]
"""An identity's view for a client declaring a capset, on a current catalog: what a request
is authorized against (`Gateway.view_for`)."""

"""What a policy change does to each user and group, against the live catalogs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from authz_mcp.auth.identity import Identity
from authz_mcp.policy import PolicyEngine
from authz_mcp.proxy.catalog import Catalog, Entry, Kind
from authz_mcp.proxy.view import build_view


@dataclass(frozen=True, slots=True)
class Impact:
    identity: Identity
    gained: tuple[tuple[Kind, Entry], ...]
    lost: tuple[tuple[Kind, Entry], ...]

    @property
    def changed(self) -> bool:
        return bool(self.gained or self.lost)


def discovered(
    catalog: Catalog, engine: PolicyEngine, identity: Identity
) -> Mapping[Kind, tuple[Entry, ...]]:
    """Exactly what `identity` finds in the lists, per kind: the gateway's own permitted view."""
    return build_view(catalog, engine, identity).visible


def impact(
    old: PolicyEngine, new: PolicyEngine, catalog: Catalog, identities: Iterable[Identity]
) -> list[Impact]:
    """For each identity, the items it gains and loses going from `old` to `new`."""
    return [_impact(old, new, catalog, identity) for identity in identities]


def _impact(old: PolicyEngine, new: PolicyEngine, catalog: Catalog, identity: Identity) -> Impact:
    before = discovered(catalog, old, identity)
    after = discovered(catalog, new, identity)
    gained: list[tuple[Kind, Entry]] = []
    lost: list[tuple[Kind, Entry]] = []
    for kind in Kind:
        had = {entry.exposed for entry in before[kind]}
        has = {entry.exposed for entry in after[kind]}
        gained.extend((kind, entry) for entry in after[kind] if entry.exposed not in had)
        lost.extend((kind, entry) for entry in before[kind] if entry.exposed not in has)
    return Impact(identity, tuple(gained), tuple(lost))

"""Which client features a user's upstream session declares, and so which catalog they see.

Servers may offer some items only to a client that declared a capability (a tool that
asks for sampling, elicitation or the client's roots). The gateway declares to an
upstream exactly what it can relay for the client at hand, so a user's catalog is the
one an upstream offers to a client like theirs: catalogs are kept per `Capset`, and a
user is shown, and may call, only what the catalog of their own capset holds.
"""

from __future__ import annotations

from authz_mcp.jsonrpc import JSONObject
from authz_mcp.proxy.envelope import RELAYED_CAPABILITIES, relayable

Capset = frozenset[str]
"""The relayable capabilities a client declared, by name."""

NO_CAPABILITIES: Capset = frozenset()


def capset_of(client_capabilities: JSONObject) -> Capset:
    return frozenset(relayable(client_capabilities))


def declared(capset: Capset) -> JSONObject:
    """The `capabilities` the gateway declares upstream for clients of `capset`."""
    return {name: {} for name in RELAYED_CAPABILITIES if name in capset}


def label(capset: Capset) -> str:
    """A stable name for log lines and handles: "sampling+roots", or "none"."""
    return "+".join(name for name in RELAYED_CAPABILITIES if name in capset) or "none"

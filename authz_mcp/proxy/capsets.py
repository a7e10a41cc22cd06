"""Which client features a user's upstream session declares, and so which catalog they see.

Servers may offer some items only to a client that declared a capability (a tool that
asks for sampling, elicitation or the client's roots), or one of its sub-capabilities
(server-everything offers URL-mode elicitation only to a client declaring
`elicitation.url`). The gateway declares to an upstream exactly what it can relay for the
client at hand, sub-capabilities included, so a user's catalog is the one an upstream
offers to a client like theirs: catalogs are kept per `Capset`, and a user is shown, and
may call, only what the catalog of their own capset holds.

Only the sub-capabilities the specification defines are kept (2025-11-25 schema:
`ClientCapabilities`), each reduced to its presence, so a client cannot make the gateway
keep a catalog (or start a listing connection) per arbitrary value it declares.
"""

from __future__ import annotations

from authz_mcp.jsonrpc import JSONObject
from authz_mcp.proxy.envelope import relayable

_SUB_CAPABILITIES: dict[str, tuple[str, ...]] = {
    "sampling": ("context", "tools"),
    "elicitation": ("form", "url"),
    "roots": (),
}
_FLAGS: dict[str, tuple[str, ...]] = {"roots": ("listChanged",)}

Capset = tuple[tuple[str, tuple[str, ...]], ...]
"""The relayable capabilities a client declared, each with the sub-capabilities it declared,
in a fixed order; empty when it declared none."""

NO_CAPABILITIES: Capset = ()

MOST_RELAYED: JSONObject = {
    "sampling": {"context": {}, "tools": {}},
    "elicitation": {"form": {}, "url": {}},
    "roots": {"listChanged": True},
}
"""Everything the gateway can relay: what a connection shared by every user declares."""


def capset_of(client_capabilities: JSONObject) -> Capset:
    capset: list[tuple[str, tuple[str, ...]]] = []
    for name, value in relayable(client_capabilities).items():
        subs = tuple(sub for sub in _SUB_CAPABILITIES[name] if isinstance(value.get(sub), dict))
        flags = tuple(flag for flag in _FLAGS.get(name, ()) if value.get(flag) is True)
        capset.append((name, subs + flags))
    return tuple(capset)


def declared(capset: Capset) -> JSONObject:
    """The `capabilities` the gateway declares upstream for clients of `capset`."""
    capabilities: JSONObject = {}
    for name, subs in capset:
        flags = _FLAGS.get(name, ())
        capabilities[name] = {sub: True if sub in flags else {} for sub in subs}
    return capabilities


def label(capset: Capset) -> str:
    """A stable name for log lines: "sampling+elicitation(form,url)", or "none"."""
    parts = [f"{name}({','.join(subs)})" if subs else name for name, subs in capset]
    return "+".join(parts) or "none"


def within_declared(client_capabilities: JSONObject, method: str, params: object) -> bool:
    """Whether a server->client request asks only for what the client declared, down to the
    sub-capability a connection shared by every user declares on everyone's behalf.

    2025-11-25 client/elicitation: "Servers MUST NOT send elicitation requests with modes
    that are not supported by the client" (an empty `elicitation` declares form mode only);
    client/sampling: servers "MUST NOT send tool-enabled sampling requests to Clients that
    have not declared support for tool use via the `sampling.tools` capability".
    """
    params = params if isinstance(params, dict) else {}
    if method == "elicitation/create":
        declared_modes = relayable(client_capabilities).get("elicitation") or {}
        mode = params.get("mode", "form")
        if mode == "form" and not declared_modes:
            return True  # the empty object of clients older than modes
        return isinstance(declared_modes.get(mode), dict)
    if method == "sampling/createMessage" and ("tools" in params or "toolChoice" in params):
        sampling = relayable(client_capabilities).get("sampling") or {}
        return isinstance(sampling.get("tools"), dict)
    return True

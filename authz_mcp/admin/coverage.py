"""What an object pattern reaches in a live catalog, for the kinds its action applies to."""

from __future__ import annotations

from collections.abc import Mapping

from authz_mcp.policy import CALL, GET, READ, KeyPattern, UriRefusal, canonical_uri
from authz_mcp.proxy.catalog import Catalog, Entry, Kind

KINDS_FOR_ACTION: Mapping[str, tuple[Kind, ...]] = {
    CALL: (Kind.TOOLS,),
    GET: (Kind.PROMPTS,),
    READ: (Kind.RESOURCES, Kind.TEMPLATES),
}
SEGMENT_FOR_ACTION: Mapping[str, str] = {CALL: "tools", GET: "prompts", READ: "resources"}


def listed_matches(catalog: Catalog, pattern: KeyPattern, act: str) -> list[Entry]:
    """The listed items (tools, prompts, resources, templates) whose object `pattern` matches."""
    return [
        entry
        for kind in KINDS_FOR_ACTION.get(act, ())
        for entry in catalog.entries[kind].values()
        if pattern.matches(entry.object)
    ]


def reaches_anything(catalog: Catalog, pattern: KeyPattern, act: str) -> bool:
    """Whether some listed item, or some URI a listed template produces, matches `pattern`."""
    if listed_matches(catalog, pattern, act):
        return True
    if act != READ:
        return False
    if not pattern.wildcard:
        upstream, _, rest = pattern.text.partition("/")
        uri = canonical_uri(rest.removeprefix(f"{SEGMENT_FOR_ACTION[READ]}/"))
        if isinstance(uri, UriRefusal):
            return False
        return any(entry.upstream == upstream for entry in catalog.matching_templates(uri))
    for entry in catalog.entries[Kind.TEMPLATES].values():
        literal, brace, _ = entry.object.partition("{")
        produced = KeyPattern.compile(literal + "*") if brace else KeyPattern.compile(literal)
        if pattern.overlap(produced) is not None:
            return True
    return False

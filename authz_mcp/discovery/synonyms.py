"""Query expansions: everyday and abbreviated words for what tool names call otherwise.

Tool names and descriptions use developer vocabulary (`pull_request`, `directory`,
`geocode`); people ask with abbreviations and plain words ("PR", "folder", "the
coordinates of"). Each entry maps a word a request may hold to the words tools use
for the same thing; both sides are stemmed by the index, so one form of each is
enough. Expansions only add alternatives to a request: a request's own words still
count, and nothing is ever removed.

Kept to abbreviations, near-synonyms and plain words for a technical term, the kind
found in a thesaurus or a glossary; no entry names a particular server or tool. The
benchmark (bench/search.py) reports hit rates with and without this table.
"""

from __future__ import annotations

from collections.abc import Mapping

# Groups of verbs that tool names use interchangeably for the same operation (the CRUD
# verbs of an API glossary): a request using one also matches tools named with another.
VERB_GROUPS: tuple[tuple[str, ...], ...] = (
    ("create", "make", "new", "add"),
    ("delete", "remove", "erase", "drop"),
    ("get", "show", "view", "display", "read", "retrieve"),
    ("update", "edit", "change", "modify"),
    ("search", "find", "lookup", "query"),
    ("list", "enumerate"),
)

_WORDS: dict[str, tuple[str, ...]] = {
    # abbreviations
    "pr": ("pull", "request"),
    "prs": ("pull", "request"),
    "mr": ("merge", "request"),
    "repo": ("repository",),
    "repos": ("repository",),
    "dir": ("directory",),
    "db": ("database",),
    "msg": ("message",),
    "img": ("image",),
    "pic": ("image", "screenshot"),
    "env": ("environment",),
    "config": ("configuration",),
    "url": ("web", "page", "fetch"),
    "sql": ("query", "database"),
    # plain words for a technical term
    "folder": ("directory",),
    "folders": ("directory",),
    "bug": ("issue",),
    "bugs": ("issue",),
    "ticket": ("issue",),
    "tickets": ("issue",),
    "project": ("repository",),
    "rename": ("move",),
    "picture": ("screenshot", "image"),
    "snapshot": ("screenshot",),
    "capture": ("screenshot",),
    "press": ("click",),
    "tap": ("click",),
    "type": ("fill", "input"),
    "enter": ("fill", "input"),
    "dropdown": ("select",),
    "choose": ("select",),
    "pick": ("select",),
    "webpage": ("web", "page"),
    "website": ("web", "page"),
    "download": ("fetch",),
    "grab": ("fetch", "get"),
    "remember": ("memory", "store"),
    "forget": ("delete", "remove"),
    "coordinates": ("latitude", "longitude", "geocode"),
    "route": ("directions",),
    "history": ("log", "history"),
    "unstage": ("reset", "unstaged"),
    "emoji": ("reaction",),
    "react": ("reaction",),
    "send": ("message", "post"),
    "answer": ("reply",),
    "respond": ("reply",),
    "google": ("web", "search"),
    "lookup": ("search",),
    "copy": ("fork",),
    "approve": ("review",),
    "cache": ("key", "value", "store"),
    "sum": ("add",),
    "plus": ("add",),
}


def _with_verbs(words: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    merged = dict(words)
    for group in VERB_GROUPS:
        for verb in group:
            others = tuple(other for other in group if other != verb)
            merged[verb] = tuple(dict.fromkeys((*merged.get(verb, ()), *others)))
    return merged


SYNONYMS: Mapping[str, tuple[str, ...]] = _with_verbs(_WORDS)

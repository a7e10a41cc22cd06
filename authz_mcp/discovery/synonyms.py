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
    "ci": ("status", "checks"),
    "tz": ("timezone",),
    "lat": ("latitude",),
    "lng": ("longitude",),
    "png": ("image", "media"),
    "jpg": ("image", "media"),
    "jpeg": ("image", "media"),
    "gif": ("image", "media"),
    "mp3": ("audio", "media"),
    "readme": ("file", "contents"),
    # everyday verbs for an API's operations
    "raise": ("create",),
    "start": ("create",),
    "setup": ("create",),
    "save": ("write", "store"),
    "put": ("write", "set"),
    "store": ("set", "write"),
    "record": ("add", "write"),
    "clear": ("delete",),
    "wipe": ("delete",),
    "discard": ("delete", "reset"),
    "forget": ("delete", "remove"),
    "print": ("read", "get"),
    "see": ("get", "read"),
    "inspect": ("get", "details"),
    "describe": ("details", "info"),
    "close": ("update",),
    "reopen": ("update",),
    "relabel": ("update", "labels"),
    "assign": ("update", "assignees"),
    "replace": ("edit",),
    "rename": ("move",),
    "locate": ("search", "find"),
    "look": ("search", "find"),
    "browse": ("list",),
    "compare": ("diff",),
    "difference": ("diff",),
    "execute": ("run", "evaluate"),
    "run": ("execute", "evaluate"),
    "tell": ("post", "message"),
    "notify": ("post", "message"),
    "announce": ("post", "message"),
    "say": ("post", "message"),
    "send": ("message", "post"),
    "answer": ("reply",),
    "respond": ("reply",),
    "visit": ("navigate",),
    "browser": ("navigate", "page"),
    "press": ("click",),
    "tap": ("click",),
    "type": ("fill", "input"),
    "enter": ("fill", "input"),
    "mouse": ("hover", "click"),
    "dropdown": ("select",),
    "choose": ("select",),
    "pick": ("select",),
    "download": ("fetch",),
    "grab": ("fetch", "get"),
    "scrape": ("fetch",),
    "upload": ("push",),
    "copy": ("fork",),
    "clone": ("fork",),
    "approve": ("review",),
    "stage": ("add",),
    "unstage": ("reset", "unstaged"),
    "switch": ("checkout",),
    "link": ("relation",),
    "connect": ("relation",),
    "connection": ("relation",),
    "remember": ("memory", "store"),
    "note": ("observation", "add"),
    "repeat": ("echo",),
    "sum": ("add",),
    "plus": ("add",),
    "total": ("sum",),
    "reason": ("thinking",),
    "think": ("thinking",),
    "translate": ("convert",),
    # plain words for a technical term
    "folder": ("directory",),
    "folders": ("directory",),
    "bug": ("issue",),
    "bugs": ("issue",),
    "ticket": ("issue",),
    "tickets": ("issue",),
    "tracker": ("issue",),
    "project": ("repository",),
    "codebase": ("repository", "code"),
    "account": ("user",),
    "accounts": ("user",),
    "people": ("user",),
    "person": ("user", "entity"),
    "member": ("user",),
    "members": ("user",),
    "teammate": ("user",),
    "picture": ("screenshot", "image"),
    "photo": ("image",),
    "logo": ("image",),
    "snapshot": ("screenshot",),
    "capture": ("screenshot",),
    "webpage": ("web", "page"),
    "website": ("web", "page"),
    "site": ("web", "page"),
    "internet": ("web",),
    "online": ("web",),
    "google": ("web", "search"),
    "checks": ("status",),
    "history": ("log", "history"),
    "emoji": ("reaction",),
    "react": ("reaction",),
    "coordinates": ("latitude", "longitude", "geocode"),
    "address": ("geocode", "location"),
    "route": ("directions",),
    "drive": ("directions",),
    "driving": ("directions",),
    "walking": ("directions",),
    "altitude": ("elevation",),
    "height": ("elevation",),
    "far": ("distance",),
    "hours": ("details",),
    "rating": ("details",),
    "reviews": ("details", "review"),
    "nearby": ("local", "places"),
    "near": ("local", "places"),
    "restaurant": ("places", "local"),
    "restaurants": ("places", "local"),
    "shop": ("places", "local"),
    "now": ("current",),
    "clock": ("time",),
    "cache": ("key", "value", "store"),
    "cached": ("key", "value"),
    "size": ("sizes",),
    "big": ("size", "sizes"),
    "space": ("size", "sizes"),
    "variables": ("environment",),
    "columns": ("describe", "schema"),
    "schema": ("describe",),
    "fact": ("observation",),
    "facts": ("observation",),
}


def _with_verbs(words: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    merged = dict(words)
    for group in VERB_GROUPS:
        for verb in group:
            others = tuple(other for other in group if other != verb)
            merged[verb] = tuple(dict.fromkeys((*merged.get(verb, ()), *others)))
    return merged


SYNONYMS: Mapping[str, tuple[str, ...]] = _with_verbs(_WORDS)

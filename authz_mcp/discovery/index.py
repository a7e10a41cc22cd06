"""A full-text index of the catalog's tools: SQLite FTS5 with the porter stemmer.

Built once per catalog version, for every tool of every upstream, and never per
request. What a user may see is applied at query time: the ranked matches are
walked in order and only names in the user's permitted set are kept, so two
users share one index and a policy change needs no rebuild.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from authz_mcp.discovery.terms import fts_query, identifier_text, query_words
from authz_mcp.jsonrpc import JSONObject

# bm25 column weights: a word of the tool's own name says more than one in its
# description, and a parameter's description least (it often names other things).
COLUMNS: tuple[tuple[str, float], ...] = (
    ("name", 4.0),
    ("upstream", 2.0),
    ("title", 3.0),
    ("description", 1.0),
    ("parameters", 0.5),
)
_CREATE = "CREATE VIRTUAL TABLE tools USING fts5({}, tokenize='porter unicode61 remove_diacritics 2')"
# Built from the constants above only; user text reaches SQLite as a bound parameter.
_NAMES = ", ".join(name for name, _ in COLUMNS)
_INSERT = f"INSERT INTO tools(rowid, {_NAMES}) VALUES (?, {', '.join('?' for _ in COLUMNS)})"  # noqa: S608
_RANK = f"bm25(tools, {', '.join(str(weight) for _, weight in COLUMNS)})"
_SEARCH = f"SELECT rowid FROM tools WHERE tools MATCH ? ORDER BY {_RANK}"  # noqa: S608


@dataclass(frozen=True, slots=True)
class ToolDocument:
    exposed: str
    """The aggregated name `tools/call` accepts."""
    upstream: str
    original: str
    item: JSONObject


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _parameters_text(schema: Any) -> str:
    if not isinstance(schema, dict):
        return ""
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return ""
    parts: list[str] = []
    for name, spec in properties.items():
        parts.append(identifier_text(str(name)))
        if isinstance(spec, dict):
            parts.append(_text(spec.get("description")))
    return " ".join(parts)


def _row(document: ToolDocument) -> tuple[str, ...]:
    item = document.item
    annotations = item.get("annotations")
    title = _text(item.get("title")) or (
        _text(annotations.get("title")) if isinstance(annotations, dict) else ""
    )
    return (
        identifier_text(document.original),
        identifier_text(document.upstream),
        title,
        _text(item.get("description")),
        _parameters_text(item.get("inputSchema")),
    )


class SearchIndex:
    def __init__(
        self, documents: Iterable[ToolDocument], synonyms: Mapping[str, tuple[str, ...]] | None = None
    ) -> None:
        self._synonyms = synonyms
        self._names: list[str] = []
        # One connection, used only from the event loop's thread; queries never await.
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(_CREATE.format(_NAMES))
        rows = []
        for rowid, document in enumerate(documents):
            self._names.append(document.exposed)
            rows.append((rowid, *_row(document)))
        self._db.executemany(_INSERT, rows)
        self._db.commit()

    def __len__(self) -> int:
        return len(self._names)

    def has_terms(self, query: str) -> bool:
        """Whether `query` holds any word to search for (not only filler words)."""
        return bool(query_words(query, self._synonyms))

    def search(self, query: str, permitted: Container[str], limit: int) -> list[str]:
        """Up to `limit` exposed names in `permitted`, best match first."""
        words = query_words(query, self._synonyms)
        if not words or limit <= 0:
            return []
        found: list[str] = []
        rows = self._db.execute(_SEARCH, (fts_query(words),))
        for (rowid,) in rows:
            name = self._names[rowid]
            if name in permitted:
                found.append(name)
                if len(found) == limit:
                    break
        return found

    def close(self) -> None:
        self._db.close()


class IndexCache:
    """The index of the current catalog version (and the one before, for requests that
    still hold a view of it while a refresh lands)."""

    def __init__(self, synonyms: Mapping[str, tuple[str, ...]] | None = None, keep: int = 2) -> None:
        self._synonyms = synonyms
        self._keep = keep
        self._indexes: OrderedDict[int, SearchIndex] = OrderedDict()

    def get(self, version: int, documents: Callable[[], Sequence[ToolDocument]]) -> SearchIndex:
        index = self._indexes.get(version)
        if index is None:
            index = SearchIndex(documents(), self._synonyms)
            self._indexes[version] = index
            while len(self._indexes) > self._keep:
                # Safe to close: a search runs to completion without yielding to the loop.
                self._indexes.popitem(last=False)[1].close()
        return index

"""A full-text index of the catalog's tools: SQLite FTS5 with the porter stemmer.

Built once per catalog version, for every tool of every upstream, and never per
request. What a user may see is applied at query time: the ranked matches are
walked in order and only names in the user's permitted set are kept, so two
users share one index and a policy change needs no rebuild.
"""

from __future__ import annotations

import re
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread

from authz_mcp.discovery.synonyms import SYNONYMS
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
_SEARCH = f"SELECT rowid, {_RANK} FROM tools WHERE tools MATCH ?"  # noqa: S608
_TOKENIZE = "CREATE VIRTUAL TABLE {} USING fts5(text, tokenize='porter unicode61 remove_diacritics 2')"
_WORDS = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Ranking:
    """How matches are ordered: bm25 over the weighted columns, scaled to the best match's
    score (1.0), plus two bonuses on that scale.

    `name_coverage`: times the share of a tool's name words (its own and its upstream's)
    that the request holds; a name is the tool's shortest statement of what it does, and
    bm25 alone lets a long description outweigh it. `upstream_named`: when the request
    names the tool's upstream ("... on GitHub"), the way people scope a request.
    """

    name_coverage: float = 0.5
    upstream_named: float = 0.25


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
        self,
        documents: Iterable[ToolDocument],
        synonyms: Mapping[str, tuple[str, ...]] | None = None,
        ranking: Ranking | None = None,
    ) -> None:
        self._synonyms = synonyms
        self._ranking = ranking or Ranking()
        self._names: list[str] = []
        # One connection, used only from the event loop's thread; queries never await.
        self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._db.execute(_CREATE.format(_NAMES))
        texts: list[tuple[str, ...]] = []
        for document in documents:
            self._names.append(document.exposed)
            texts.append(_row(document))
        # One transaction for the whole build: row by row, each insert would commit alone.
        self._db.execute("BEGIN")
        self._db.executemany(_INSERT, [(rowid, *text) for rowid, text in enumerate(texts)])
        self._stems = self._stems_of(texts, synonyms or {})
        self._db.execute("COMMIT")
        # Per tool, the stems of its name and upstream words (`Ranking.name_coverage`), and
        # of its upstream's alone (`Ranking.upstream_named`).
        self._upstream_terms = [self._stemmed(text[1]) for text in texts]
        self._name_terms = [
            self._stemmed(text[0]) | upstream
            for text, upstream in zip(texts, self._upstream_terms, strict=True)
        ]

    def _stemmed(self, text: str) -> frozenset[str]:
        return frozenset(self._stems.get(word, word) for word in text.split())

    def _stems_of(
        self, texts: list[tuple[str, ...]], synonyms: Mapping[str, tuple[str, ...]]
    ) -> dict[str, str]:
        """Each word of the indexed text (and of the synonym table) with the stem the index
        made of it, worked out once here so a request's words are looked up, not tokenized.
        A request word missing from this map matches no tool anyway."""
        words = {word for text in texts for word in _WORDS.findall(" ".join(text).lower())}
        words |= {word for key, values in synonyms.items() for word in (key, *values)}
        ordered = sorted(words)
        self._db.execute(_TOKENIZE.format("temp.words"))
        self._db.executemany("INSERT INTO temp.words(rowid, text) VALUES (?, ?)", enumerate(ordered))
        self._db.execute("CREATE VIRTUAL TABLE temp.word_terms USING fts5vocab(temp, words, instance)")
        stems = {
            ordered[rowid]: term for term, rowid in self._db.execute("SELECT term, doc FROM temp.word_terms")
        }
        self._db.execute("DROP TABLE temp.word_terms")
        self._db.execute("DROP TABLE temp.words")
        return stems

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
        stems = {self._stems[word] for word in words if word in self._stems}
        ranking = self._ranking
        scored: list[tuple[float, int]] = []
        for rowid, bm25 in self._db.execute(_SEARCH, (fts_query(words),)):
            if self._names[rowid] in permitted:
                scored.append((-bm25, rowid))
        if not scored:
            return []
        best = max(bm25 for bm25, _ in scored) or 1.0

        def score(match: tuple[float, int]) -> float:
            bm25, rowid = match
            name = self._name_terms[rowid]
            coverage = len(name & stems) / len(name) if name else 0.0
            named = 1.0 if self._upstream_terms[rowid] & stems else 0.0
            return bm25 / best + ranking.name_coverage * coverage + ranking.upstream_named * named

        scored.sort(key=score, reverse=True)
        return [self._names[rowid] for _, rowid in scored[:limit]]

    def close(self) -> None:
        self._db.close()


class IndexCache:
    """The index of the current catalog version (and the one before, for requests that
    still hold a view of it while a refresh lands)."""

    def __init__(self, synonyms: Mapping[str, tuple[str, ...]] = SYNONYMS, keep: int = 2) -> None:
        self._synonyms = synonyms
        self._keep = keep
        self._indexes: OrderedDict[int, SearchIndex] = OrderedDict()
        self._lock = anyio.Lock()

    async def get(self, version: int, documents: Callable[[], Sequence[ToolDocument]]) -> SearchIndex:
        """The index for catalog `version`, built on first use. The build (a quarter of a
        second for 600 tools) runs in a worker thread so the gateway keeps serving, and
        once: requests arriving meanwhile wait for it rather than build their own."""
        index = self._indexes.get(version)
        if index is not None:
            return index
        async with self._lock:
            index = self._indexes.get(version)
            if index is None:
                index = await anyio.to_thread.run_sync(SearchIndex, documents(), self._synonyms)
                self._indexes[version] = index
                while len(self._indexes) > self._keep:
                    # Safe to close: a search runs to completion without yielding to the loop.
                    self._indexes.popitem(last=False)[1].close()
        return index

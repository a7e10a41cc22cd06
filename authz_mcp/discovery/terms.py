"""Words out of tool names and user requests, for the search index.

Tool names are identifiers (`create_pull_request`, `getFileContents`,
`browser-navigate`); people write sentences. Both become plain lower-case words
here, and SQLite's porter tokenizer stems them on both sides of the match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[a-z0-9]+")

# Function words that carry no meaning about which tool is wanted; requests to an agent
# are full of them ("could you please show me all of my ..."). A classic English stop
# list plus the politeness and request phrasing such messages add; no domain words.
_STOP_TEXT = """
    a about above after again all also am an and any are as at be been before being below
    between both but by can could did do does doing down during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just
    let me more most my myself no nor not now of off on once only or other our ours out
    over own please same she should so some such than that the their theirs them then there
    these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself
    want wanna need like help thanks thank hey hi ok okay kindly go ahead tell
"""
STOPWORDS = frozenset(_STOP_TEXT.split())


def split_identifier(name: str) -> list[str]:
    """`getFileContents` -> get file contents; `create_pull_request` -> create pull request."""
    spaced = _CAMEL.sub(" ", name)
    return _WORD.findall(spaced.lower())


def identifier_text(name: str) -> str:
    return " ".join(split_identifier(name))


def query_words(text: str, synonyms: Mapping[str, tuple[str, ...]] | None = None) -> list[str]:
    """The meaningful words of a request, in order, each once, with their expansions."""
    words: list[str] = []
    # Not split on case: people write product names so ("GitHub", "PostgreSQL"), and
    # descriptions, which the index does not split either, spell them the same way.
    for word in _WORD.findall(text.lower()):
        # A filler word is never searched for itself, but some say what kind of tool is
        # wanted: "all", "every" or "which" ask for a list, "now" for the current state.
        own = () if word in STOPWORDS else (word,)
        for term in (*own, *((synonyms or {}).get(word, ()))):
            if term not in words:
                words.append(term)
    return words


def fts_query(words: Iterable[str]) -> str:
    """An FTS5 MATCH expression: any of the words (ranking, not filtering, picks the best).

    Each word is a quoted string, so FTS5 operators and column filters typed by a user
    (`NEAR`, `name:`, `*`) are plain words here and cannot change the query.
    """
    return " OR ".join(f'"{word}"' for word in words)

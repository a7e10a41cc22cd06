"""Object patterns with Casbin's `keyMatch` semantics, precompiled.

pycasbin's `key_match(key, pattern)` compares plain strings: without a `*` the
key must equal the pattern; with one, the key must start with everything before
the first `*`, and whatever follows that `*` is ignored. Nothing is a regular
expression, so `.`, `?`, `+`, `(` and `{` in tool names and URIs are literal.

Because text after a `*` is silently ignored (`fs/tools/*_admin` would match
every tool of `fs`), `pattern_problem` flags such patterns so that loaders can
reject them instead of granting more than the admin wrote.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KeyPattern:
    """One compiled pattern: an exact key, or a prefix when it had a `*`."""

    text: str
    prefix: str
    wildcard: bool

    @classmethod
    def compile(cls, text: str) -> KeyPattern:
        star = text.find("*")
        if star == -1:
            return cls(text, text, wildcard=False)
        return cls(text, text[:star], wildcard=True)

    def matches(self, key: str) -> bool:
        if self.wildcard:
            return key.startswith(self.prefix)
        return key == self.text

    def covers(self, other: KeyPattern) -> bool:
        """Whether every key `other` matches is matched by this pattern too."""
        if not self.wildcard:
            return not other.wildcard and other.text == self.text
        return other.prefix.startswith(self.prefix)

    def overlap(self, other: KeyPattern) -> KeyPattern | None:
        """The keys both patterns match, as a pattern; None when no key matches both.

        Prefix sets are nested or disjoint, so the overlap is always one of the two.
        """
        if self.covers(other):
            return other
        if other.covers(self):
            return self
        return None


def pattern_problem(text: str) -> str | None:
    """Why `text` is not an acceptable object pattern, or None when it is."""
    if not text:
        return "empty pattern"
    star = text.find("*")
    if star != -1 and star != len(text) - 1:
        return f"'*' must end the pattern {text!r} (keyMatch ignores everything after it)"
    return None


def any_matches(patterns: Iterable[KeyPattern], key: str) -> bool:
    return any(pattern.matches(key) for pattern in patterns)

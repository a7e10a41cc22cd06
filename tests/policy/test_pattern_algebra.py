"""`covers` and `overlap` of keyMatch patterns agree with matching every key one by one."""

from __future__ import annotations

import itertools

from authz_mcp.policy import KeyPattern

TAILS = ["".join(chars) for size in range(4) for chars in itertools.product("ab/", repeat=size)]
PATTERNS = [KeyPattern.compile(text) for tail in TAILS[:13] for text in (f"x{tail}", f"x{tail}*")]
KEYS = [f"x{tail}" for tail in TAILS]


def _keys(pattern: KeyPattern) -> set[str]:
    return {key for key in KEYS if pattern.matches(key)}


def test_covers_means_every_key_matched_by_the_other_is_matched_too() -> None:
    for first, second in itertools.product(PATTERNS, repeat=2):
        assert first.covers(second) is (_keys(second) <= _keys(first)), (first.text, second.text)


def test_overlap_is_exactly_the_keys_both_match() -> None:
    for first, second in itertools.product(PATTERNS, repeat=2):
        both = _keys(first) & _keys(second)
        region = first.overlap(second)
        assert (set() if region is None else _keys(region)) == both, (first.text, second.text)

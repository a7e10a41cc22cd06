"""Aggregated names stay within 64 characters, deterministically (DESIGN §5)."""

from __future__ import annotations

import pytest

from authz_mcp.proxy.naming import MAX_NAME_LENGTH, exposed_name

LONG = "x" * 80


@pytest.mark.parametrize(
    ("prefix", "name", "expected"),
    [
        ("github__", "create_issue", "github__create_issue"),
        ("", "create_issue", "create_issue"),
        ("gh.", "search", "gh.search"),
        ("a__", "n" * 61, "a__" + "n" * 61),
    ],
)
def test_short_names_are_prefix_and_name_unchanged(prefix: str, name: str, expected: str) -> None:
    assert exposed_name(prefix, name) == expected


@pytest.mark.parametrize(("prefix", "name"), [("a__", "n" * 62), ("github__", LONG), ("p" * 70 + "__", "x")])
def test_long_names_are_shortened_to_the_limit(prefix: str, name: str) -> None:
    shortened = exposed_name(prefix, name)
    assert len(shortened) == MAX_NAME_LENGTH
    assert shortened.startswith(prefix[:20])


def test_shortening_is_deterministic() -> None:
    assert exposed_name("github__", LONG) == exposed_name("github__", LONG)


def test_long_names_sharing_a_head_get_distinct_names() -> None:
    names = {exposed_name("github__", f"{LONG}_{suffix}") for suffix in ("read", "write", "delete", "admin")}
    assert len(names) == 4
    assert all(len(name) == MAX_NAME_LENGTH for name in names)
    assert len({name[:50] for name in names}) == 1


def test_the_same_long_name_under_two_prefixes_differs() -> None:
    assert exposed_name("a__", LONG) != exposed_name("b__", LONG)

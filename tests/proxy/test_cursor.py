"""List cursors are client input: only the gateway's own, for the same list and user, decode."""

from __future__ import annotations

import base64

import pytest

from authz_mcp.errors import InvalidParams
from authz_mcp.proxy.cursor import CursorCodec

KEY = b"k" * 32
CODEC = CursorCodec(KEY)


@pytest.mark.parametrize("offset", [0, 1, 50, 10**9])
def test_cursor_round_trips_its_offset(offset: int) -> None:
    assert CODEC.decode(CODEC.encode("tools", "alice", offset), "tools", "alice") == offset


def test_cursor_is_opaque_and_url_safe() -> None:
    cursor = CODEC.encode("tools", "alice", 7)
    assert "alice" not in cursor
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def raw(cursor: str) -> bytes:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def cursor_of(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def flip(cursor: str, index: int) -> str:
    """`cursor` with one bit of its decoded byte at `index` flipped."""
    data = bytearray(raw(cursor))
    data[index] ^= 0x01
    return cursor_of(bytes(data))


def forged_offset(cursor: str, offset: int) -> str:
    """`cursor` with its payload's offset rewritten, keeping the genuine MAC."""
    data = raw(cursor)
    forged = data[:-17].replace(b", 20]", f", {offset}]".encode())
    assert forged != data[:-17]
    return cursor_of(forged + data[-17:])


GOOD = CODEC.encode("tools", "alice", 20)

INVALID: list[tuple[str, object, str, str]] = [
    ("tampered-start", flip(GOOD, 0), "tools", "alice"),
    ("tampered-middle", flip(GOOD, 20), "tools", "alice"),
    ("tampered-separator", flip(GOOD, -17), "tools", "alice"),
    ("tampered-end", flip(GOOD, -1), "tools", "alice"),
    ("forged-offset", forged_offset(GOOD, 0), "tools", "alice"),
    ("truncated", GOOD[:-4], "tools", "alice"),
    ("truncated-to-one", GOOD[:1], "tools", "alice"),
    ("empty", "", "tools", "alice"),
    ("not-base64", "!!!not a cursor!!!", "tools", "alice"),
    ("non-ascii", "é" * 12, "tools", "alice"),
    ("oversized", GOOD * 20, "tools", "alice"),
    ("foreign-kind", GOOD, "prompts", "alice"),
    ("foreign-principal", GOOD, "tools", "bob"),
    ("foreign-key", CursorCodec(b"other" * 8).encode("tools", "alice", 20), "tools", "alice"),
    ("negative-offset", CODEC.encode("tools", "alice", -1), "tools", "alice"),
    ("none", None, "tools", "alice"),
    ("integer", 20, "tools", "alice"),
    ("list", [GOOD], "tools", "alice"),
    ("object", {"offset": 20}, "tools", "alice"),
]


@pytest.mark.parametrize(
    ("cursor", "kind", "principal"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
def test_invalid_cursor_is_invalid_params(cursor: object, kind: str, principal: str) -> None:
    with pytest.raises(InvalidParams) as raised:
        CODEC.decode(cursor, kind, principal)
    assert raised.value.jsonrpc_code == -32602

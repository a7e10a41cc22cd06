"""Opaque-cursor pagination for the demo server's list methods.

The MCP spec (basic/utilities/pagination) says cursors are opaque and that an invalid cursor
SHOULD be answered with -32602 (Invalid params). The cursor encodes the list it belongs to and
the offset of the next page, so a cursor from ``tools/list`` is refused by ``prompts/list``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

_ItemT = TypeVar("_ItemT")


@dataclass(frozen=True)
class Page(Generic[_ItemT]):
    items: list[_ItemT]
    next_cursor: str | None


def encode_cursor(listing: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{listing}:{offset}".encode()).decode()


def decode_cursor(listing: str, cursor: str) -> int:
    """The offset a cursor points at; MCPError(-32602) when it is not one of ours for ``listing``."""
    try:
        decoded = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise _invalid_cursor() from exc
    owner, _, offset = decoded.rpartition(":")
    if owner != listing or not offset.isdigit():
        raise _invalid_cursor()
    return int(offset)


def paginate(
    listing: str, items: Sequence[_ItemT], cursor: str | None, page_size: int | None
) -> Page[_ItemT]:
    """One page of ``items``; every item once when ``page_size`` is None."""
    offset = 0 if cursor is None else decode_cursor(listing, cursor)
    if offset > len(items) or (offset == len(items) and offset > 0):
        raise _invalid_cursor()
    if page_size is None:
        return Page(list(items[offset:]), None)
    end = offset + page_size
    next_cursor = encode_cursor(listing, end) if end < len(items) else None
    return Page(list(items[offset:end]), next_cursor)


def _invalid_cursor() -> MCPError:
    return MCPError(code=INVALID_PARAMS, message="Invalid cursor")

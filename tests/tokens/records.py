"""Token records for the store tests."""

from __future__ import annotations

import time
from typing import Any

from authz_mcp.tokens import TokenRecord
from authz_mcp.tokens.secret import new_token, new_token_id, token_hash


def make_record(owner: str = "alice", **changes: Any) -> TokenRecord:
    now = time.time()
    fields: dict[str, Any] = {
        "token_id": new_token_id(),
        "token_hash": token_hash(new_token()),
        "owner": owner,
        "name": "laptop",
        "scopes": ("demo/tools/*", "demo/resources/demo://docs/*"),
        "created_at": now,
        "expires_at": now + 3600,
        "created_by": owner,
    }
    fields.update(changes)
    return TokenRecord(**fields)

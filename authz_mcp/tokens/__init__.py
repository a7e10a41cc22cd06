"""Personal access tokens (DESIGN §3): the secret, its record, the store seam and its
implementations (the Redis one in `tokens.redis`, imported only when a Redis store is
configured), the rules shared by the CLI and the API, and verification."""

from authz_mcp.tokens.factory import open_token_store
from authz_mcp.tokens.memory import MemoryTokenStore
from authz_mcp.tokens.record import TokenRecord, iso_time
from authz_mcp.tokens.service import IssuedToken, TokenService
from authz_mcp.tokens.sqlite import SqliteTokenStore
from authz_mcp.tokens.store import TokenStore
from authz_mcp.tokens.verifier import PAT_ISSUER, PatVerifier

__all__ = [
    "PAT_ISSUER",
    "IssuedToken",
    "MemoryTokenStore",
    "PatVerifier",
    "SqliteTokenStore",
    "TokenRecord",
    "TokenService",
    "TokenStore",
    "iso_time",
    "open_token_store",
]

"""Authentication: bearer tokens in, an Identity out (DESIGN §3)."""

from authz_mcp.auth.authenticator import Authenticator, bearer_token
from authz_mcp.auth.challenge import resource_metadata_url, www_authenticate
from authz_mcp.auth.identity import Identity
from authz_mcp.auth.jwks import JwksCache
from authz_mcp.auth.jwt import JwtVerifier
from authz_mcp.auth.metadata import protected_resource_metadata

__all__ = [
    "Authenticator",
    "Identity",
    "JwksCache",
    "JwtVerifier",
    "bearer_token",
    "protected_resource_metadata",
    "resource_metadata_url",
    "www_authenticate",
]

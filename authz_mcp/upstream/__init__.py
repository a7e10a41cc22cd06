"""Upstream MCP servers behind the gateway: the `Upstream` seam and its transports."""

from authz_mcp.errors import UpstreamRpcError, UpstreamSessionExpired
from authz_mcp.upstream.base import SHARED_SESSION, MessageSink, UnsolicitedHandler, Upstream, is_shared
from authz_mcp.upstream.factory import build_upstream, create_http_client
from authz_mcp.upstream.http import HttpUpstream
from authz_mcp.upstream.legacy_sse import LegacySseUpstream
from authz_mcp.upstream.stdio import StdioUpstream

__all__ = [
    "SHARED_SESSION",
    "HttpUpstream",
    "LegacySseUpstream",
    "MessageSink",
    "StdioUpstream",
    "UnsolicitedHandler",
    "Upstream",
    "UpstreamRpcError",
    "UpstreamSessionExpired",
    "build_upstream",
    "create_http_client",
    "is_shared",
]

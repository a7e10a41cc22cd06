"""Search-then-call discovery: a tool index and the gateway's `find_tools` and `call_tool`."""

from authz_mcp.discovery.index import IndexCache, SearchIndex, ToolDocument
from authz_mcp.discovery.tools import GATEWAY_TOOLS, RESERVED, ReservedToolName, check_reserved, uses_search

__all__ = [
    "GATEWAY_TOOLS",
    "RESERVED",
    "IndexCache",
    "ReservedToolName",
    "SearchIndex",
    "ToolDocument",
    "check_reserved",
    "uses_search",
]

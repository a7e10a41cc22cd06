"""The gateway's own two tools for search mode, and who gets search mode.

In search mode a user's `tools/list` holds only `find_tools` and `call_tool`:
the model asks for the few tools a task needs instead of carrying every
permitted schema in its context on every turn.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from authz_mcp.config import DiscoveryConfig
from authz_mcp.errors import AuthzMcpError, ConfigError
from authz_mcp.jsonrpc import JSONObject

FIND_TOOLS = "find_tools"
CALL_TOOL = "call_tool"
RESERVED = frozenset({FIND_TOOLS, CALL_TOOL})
DEFAULT_LIMIT = 5
MAX_LIMIT = 50

FIND_TOOLS_DEFINITION: JSONObject = {
    "name": FIND_TOOLS,
    "title": "Find tools",
    "description": (
        "Search the tools available to you by what you want to do, in plain words "
        "(e.g. 'open a pull request', 'what time is it in Tokyo'). Returns the best "
        "matching tools, best first, each with its name, description and inputSchema. "
        f"Run one with {CALL_TOOL} (or call it directly by its name)."
    ),
    "inputSchema": {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "What you want to do, in plain words."},
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_LIMIT,
                "default": DEFAULT_LIMIT,
                "description": "How many tools to return at most.",
            },
        },
        "required": ["query"],
    },
    "outputSchema": {
        "type": "object",
        "properties": {
            "tools": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "description": {"type": "string"},
                        "inputSchema": {"type": "object"},
                    },
                    "required": ["name", "description", "inputSchema"],
                },
            }
        },
        "required": ["tools"],
    },
    "annotations": {"readOnlyHint": True, "openWorldHint": False},
}

CALL_TOOL_DEFINITION: JSONObject = {
    "name": CALL_TOOL,
    "title": "Call a tool",
    "description": (
        f"Run a tool found with {FIND_TOOLS}: give its exact name and its arguments, "
        "which must match that tool's inputSchema. Returns that tool's result."
    ),
    "inputSchema": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": f"The tool's name, as {FIND_TOOLS} returned it."},
            "arguments": {"type": "object", "description": "The tool's arguments."},
        },
        "required": ["name"],
    },
}

GATEWAY_TOOLS: tuple[JSONObject, ...] = (FIND_TOOLS_DEFINITION, CALL_TOOL_DEFINITION)


class ReservedToolName(ConfigError):
    def __init__(self, upstream: str, name: str) -> None:
        super().__init__(
            f"upstream {upstream!r} exposes a tool named {name!r}, which the gateway reserves for "
            "search-mode discovery; give that upstream a prefix"
        )
        self.upstream = upstream


def check_reserved(exposed_to_upstream: Mapping[str, str]) -> None:
    """Raise for the first tool whose aggregated name is one of the gateway's own."""
    for exposed, upstream in exposed_to_upstream.items():
        if exposed in RESERVED:
            raise ReservedToolName(upstream, exposed)


def uses_search(config: DiscoveryConfig, permitted_tools: int) -> bool:
    """Whether a user permitted `permitted_tools` tools gets the two gateway tools."""
    if config.mode == "search":
        return True
    return config.mode == "auto" and permitted_tools > config.search_threshold


@dataclass(frozen=True)
class FindRequest:
    query: str
    limit: int


class BadArguments(AuthzMcpError):
    """find_tools arguments a model got wrong; reported as a tool error it can correct."""


def parse_find_arguments(arguments: object) -> FindRequest:
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise BadArguments("arguments must be an object")
    query = arguments.get("query")
    if not isinstance(query, str):
        raise BadArguments("query must be a string")
    limit = arguments.get("limit", DEFAULT_LIMIT)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise BadArguments(f"limit must be an integer from 1 to {MAX_LIMIT}")
    return FindRequest(query, min(limit, MAX_LIMIT))


def found_result(tools: list[JSONObject]) -> JSONObject:
    """The find_tools result: structured, and the same as JSON text (MCP 2025-11-25 tools:
    a tool returning structured content "SHOULD also return the serialized JSON in a
    TextContent block")."""
    structured: JSONObject = {"tools": tools}
    return {
        "content": [{"type": "text", "text": json.dumps(structured, ensure_ascii=False)}],
        "structuredContent": structured,
        "isError": False,
    }


def tool_error(message: str) -> JSONObject:
    return {"content": [{"type": "text", "text": message}], "isError": True}


def summary(item: JSONObject) -> JSONObject:
    """What find_tools says of one tool: enough to call it."""
    description = item.get("description")
    schema = item.get("inputSchema")
    return {
        "name": item["name"],
        "description": description if isinstance(description, str) else "",
        "inputSchema": schema if isinstance(schema, dict) else {"type": "object"},
    }

"""A real MCP server (the SDK's MCPServer, over stdio) whose tool is named like one of the
gateway's own search-mode tools: `python -m tests.discovery.reserved_server`."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

server: MCPServer = MCPServer("reserved")


@server.tool()
def call_tool(name: str) -> str:
    """Runs something by name (a name the gateway reserves)."""
    return name


if __name__ == "__main__":
    server.run()

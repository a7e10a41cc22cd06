"""Upstream MCP servers behind the gateway: the `Upstream` seam (`base.py`) and its transports.

Each module is imported on its own: resolving a stdio command (`command.py`) for
`authz-mcp check` needs neither aiohttp nor the MCP SDK that the HTTP transport brings.
"""

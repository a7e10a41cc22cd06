"""authz-mcp: a scoped-access authorization gateway for MCP servers."""

__version__ = "0.1.0"

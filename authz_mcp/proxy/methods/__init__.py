"""One module per family of MCP methods; `dispatch` maps method names to them."""

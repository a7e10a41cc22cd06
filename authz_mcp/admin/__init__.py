"""Policy analysis for administrators: lint, expectations, impact and discovery.

Pure functions over a `PolicyEngine` and a `Catalog`; the CLI (`authz-mcp policy …`,
`authz-mcp catalog`) loads the files, fetches the live catalogs and prints. Each module is
imported on its own: `policy explain` needs neither the catalog nor the MCP SDK that `impact`
brings.
"""

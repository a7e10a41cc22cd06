"""Policy analysis for administrators: lint, expectations, impact and discovery.

Pure functions over a `PolicyEngine` and a `Catalog`; the CLI (`authz-mcp policy …`,
`authz-mcp catalog`) loads the files, fetches the live catalogs and prints.
"""

from authz_mcp.admin.expectations import Expectation, Outcome, parse_expectations, run_expectations
from authz_mcp.admin.identities import describe, identity_for, known_identities
from authz_mcp.admin.impact import Impact, discovered, impact
from authz_mcp.admin.lint import Finding, lint

__all__ = [
    "Expectation",
    "Finding",
    "Impact",
    "Outcome",
    "describe",
    "discovered",
    "identity_for",
    "impact",
    "known_identities",
    "lint",
    "parse_expectations",
    "run_expectations",
]

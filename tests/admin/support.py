"""Policies and catalogs for the admin analysis tests, written inline."""

from __future__ import annotations

from authz_mcp.policy import PolicyEngine
from authz_mcp.proxy.catalog import Catalog
from tests.policy.conftest import DEFAULT_MODEL
from tests.proxy.catalogs import catalog, lists, prompt, resource, template, tool


def engine(*lines: str) -> PolicyEngine:
    """An engine over `lines` (line 1 is the first) with the default model."""
    return PolicyEngine.from_text(DEFAULT_MODEL, "".join(f"{line}\n" for line in lines))


def demo_catalog() -> Catalog:
    """A catalog shaped like the bundled demo server's, plus a second upstream `web`."""
    built, _ = catalog(
        lists(
            "demo",
            tools=[tool(name) for name in ("echo", "add", "delete_record", "rotate_credentials")],
            prompts=[prompt("summarize"), prompt("incident_report")],
            resources=[resource("demo://docs/readme"), resource("demo://finance/payroll")],
            templates=[template("demo://users/{user_id}/profile")],
        ),
        lists("web", tools=[tool("search")]),
    )
    return built

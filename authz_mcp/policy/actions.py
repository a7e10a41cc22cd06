"""The request vocabulary of the policy contract (DESIGN §4): actions and objects.

Objects name an item by its upstream's config key and the item's original,
un-prefixed name (or URI), so that a policy does not change when an upstream's
aggregation prefix does.
"""

from __future__ import annotations

from typing import Final

CALL: Final = "call"
"""Action for calling a tool."""
GET: Final = "get"
"""Action for getting a prompt."""
READ: Final = "read"
"""Action for reading a resource or template, and for subscribing to it."""
MANAGE: Final = "manage"
"""Action for administering the gateway's own objects, such as everyone's personal tokens."""

ACTIONS: Final = frozenset({CALL, GET, READ, MANAGE})

TOKENS_OBJECT: Final = "authz-mcp/tokens"
"""The object whose `manage` permission makes a token administrator (list and revoke any
user's personal tokens). Upstream objects always have a `/tools/`, `/prompts/` or
`/resources/` segment, so no upstream item can be named this."""

CONSOLE_OBJECT: Final = "authz-mcp/console"
"""The object whose `manage` permission opens the web console's admin pages (anyone's catalog,
explanations, recent decisions, policy and upstream status)."""


def tool_object(upstream: str, name: str) -> str:
    """`<upstream>/tools/<name>`."""
    return f"{upstream}/tools/{name}"


def prompt_object(upstream: str, name: str) -> str:
    """`<upstream>/prompts/<name>`."""
    return f"{upstream}/prompts/{name}"


def resource_object(upstream: str, uri: str) -> str:
    """`<upstream>/resources/<uri or uri template>`; the URI is used verbatim."""
    return f"{upstream}/resources/{uri}"

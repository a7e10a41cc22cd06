"""Catalogs and results as plain JSON, so that direct and gateway answers compare field by field."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import PromptReference
from pydantic import BaseModel

KINDS = ("tools", "prompts", "resources", "resourceTemplates")
# The capability a server must declare for each kind of list (a server without it answers
# "Method not found", which means: nothing of that kind).
_CAPABILITY = {
    "tools": "tools",
    "prompts": "prompts",
    "resources": "resources",
    "resourceTemplates": "resources",
}

Catalog = dict[str, list[dict[str, Any]]]


def as_json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def _all_pages(fetch: Callable[[str | None], Awaitable[BaseModel]], key: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(100):
        page = as_json(await fetch(cursor))
        items.extend(page.get(key, []))
        cursor = page.get("nextCursor")
        if cursor is None:
            return items
    raise AssertionError(f"{key}: more than 100 pages")


async def catalog(client: Client) -> Catalog:
    """Every tool, prompt, resource and template the client may list, all pages followed."""
    capabilities = as_json(client.server_capabilities)
    fetchers: dict[str, Callable[[str | None], Awaitable[BaseModel]]] = {
        "tools": lambda cursor: client.list_tools(cursor=cursor),
        "prompts": lambda cursor: client.list_prompts(cursor=cursor),
        "resources": lambda cursor: client.list_resources(cursor=cursor),
        "resourceTemplates": lambda cursor: client.list_resource_templates(cursor=cursor),
    }
    result: Catalog = {}
    for kind in KINDS:
        declared = _CAPABILITY[kind] in capabilities
        result[kind] = await _all_pages(fetchers[kind], kind) if declared else []
    return result


def prefixed(direct: Catalog, upstream: str, separator: str = "__") -> Catalog:
    """The direct catalog as the gateway should show it: tool and prompt names prefixed with
    the upstream's name, resource URIs unchanged (DESIGN §5)."""
    renamed: Catalog = {}
    for kind, items in direct.items():
        if kind in ("tools", "prompts"):
            renamed[kind] = [{**item, "name": f"{upstream}{separator}{item['name']}"} for item in items]
        else:
            renamed[kind] = list(items)
    return renamed


def names(found: Catalog) -> dict[str, list[str]]:
    """Tool and prompt names, resource URIs and template URI templates, sorted, per kind."""
    key = {"tools": "name", "prompts": "name", "resources": "uri", "resourceTemplates": "uriTemplate"}
    return {kind: sorted(str(item[key[kind]]) for item in items) for kind, items in found.items()}


@dataclass(frozen=True)
class Outcome:
    """A result or a JSON-RPC error, as JSON: what a client can observe of a request."""

    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


async def outcome(request: Awaitable[BaseModel]) -> Outcome:
    try:
        return Outcome(result=without_meta(as_json(await request)))
    except MCPError as exc:
        return Outcome(error=as_json(exc.error))


def without_meta(result: dict[str, Any]) -> dict[str, Any]:
    """A result without `_meta`, the one field each hop may annotate on its own (the gateway
    adds cache hints and its own trace fields there; the specification reserves it for that)."""
    return {key: value for key, value in result.items() if key != "_meta"}


@dataclass(frozen=True)
class Request:
    """One representative request: a tool call, a prompt get or a resource read."""

    method: str
    target: str
    arguments: dict[str, Any] | None = None

    def send(self, client: Client, prefix: str = "") -> Awaitable[BaseModel]:
        if self.method == "tools/call":
            return client.call_tool(prefix + self.target, self.arguments or {})
        if self.method == "prompts/get":
            return client.get_prompt(prefix + self.target, self.arguments)
        if self.method == "resources/read":
            return client.read_resource(self.target)
        if self.method == "completion/complete":
            asked = self.arguments or {}
            return client.complete(
                PromptReference(name=prefix + self.target), asked["argument"], asked.get("context")
            )
        raise ValueError(self.method)


def call(tool: str, **arguments: Any) -> Request:
    return Request("tools/call", tool, arguments)


def get(prompt: str, **arguments: str) -> Request:
    return Request("prompts/get", prompt, arguments or None)


def read(uri: str) -> Request:
    return Request("resources/read", uri)


def complete(prompt: str, argument: str, value: str, **context: str) -> Request:
    """completion/complete for a prompt's argument, with other arguments already chosen."""
    asked: dict[str, Any] = {"argument": {"name": argument, "value": value}}
    return Request("completion/complete", prompt, {**asked, "context": context} if context else asked)


def missing_twin(request: Request) -> Request:
    """The same request for an item that exists nowhere."""
    if request.method == "resources/read":
        # Outside every template too, so that no upstream could claim it.
        return Request(
            request.method, request.target.split("://", 1)[0] + "://missing-resource/that-does-not-exist"
        )
    return Request(request.method, request.target + "_that_does_not_exist", request.arguments)


def same_but_for_the_name(hidden: Any, missing: Any, request: Request) -> bool:
    """Whether a hidden item's error is a missing item's, byte for byte but for the name asked."""
    twin = missing_twin(request).target
    return bool(hidden == json.loads(json.dumps(missing).replace(twin, request.target)))


async def assert_answers_like_a_missing_one(client: Client, request: Request, prefix: str) -> None:
    hidden = await outcome(request.send(client, prefix))
    missing = await outcome(missing_twin(request).send(client, prefix))
    assert hidden.result is None, f"{request.method} {request.target} was not hidden"
    assert missing.error is not None
    assert same_but_for_the_name(hidden.error, missing.error, request), (hidden.error, missing.error)


def catalog_differences(seen: Catalog, expected: Catalog) -> list[str]:
    """What differs between two catalogs, item by item and field by field, in words."""
    key = {"tools": "name", "prompts": "name", "resources": "uri", "resourceTemplates": "uriTemplate"}
    found: list[str] = []
    for kind in KINDS:
        mine = {str(item[key[kind]]): item for item in seen.get(kind, [])}
        theirs = {str(item[key[kind]]): item for item in expected.get(kind, [])}
        found += [f"{kind}: {name} only through the gateway" for name in mine.keys() - theirs.keys()]
        found += [f"{kind}: {name} missing through the gateway" for name in theirs.keys() - mine.keys()]
        for name in sorted(mine.keys() & theirs.keys()):
            for field in sorted(mine[name].keys() | theirs[name].keys()):
                if mine[name].get(field) != theirs[name].get(field):
                    found.append(
                        f"{kind}: {name}.{field}: {mine[name].get(field)!r} != {theirs[name].get(field)!r}"
                    )
        if not found and list(mine) != list(theirs):
            found.append(f"{kind}: order {list(mine)} != {list(theirs)}")
    return found


def assert_same_catalog(seen: Catalog, expected: Catalog) -> None:
    differences = catalog_differences(seen, expected)
    assert not differences, "\n".join(differences)
    assert seen == expected

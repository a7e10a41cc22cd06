"""A mutable registry of tools: definition, argument model and handler for each.

Tools can be added while the server runs (``add_dynamic_tool``), so the registry is an object
owned by one server instance rather than a module-level table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    CallToolRequestParams,
    CallToolResult,
    InputRequiredResult,
    TextContent,
    Tool,
    ToolAnnotations,
)
from pydantic import BaseModel, ValidationError

_ArgsT = TypeVar("_ArgsT", bound=BaseModel)

ToolResult = CallToolResult | InputRequiredResult
ToolHandler = Callable[[ServerRequestContext[Any, Any], CallToolRequestParams], Awaitable[ToolResult]]


@dataclass(frozen=True)
class ToolCall(Generic[_ArgsT]):
    ctx: ServerRequestContext[Any, Any]
    params: CallToolRequestParams
    args: _ArgsT


@dataclass(frozen=True)
class DemoTool:
    definition: Tool
    handler: ToolHandler


def text_result(text: str, *, is_error: bool = False) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=is_error)


def demo_tool(
    name: str,
    description: str,
    args_model: type[_ArgsT],
    run: Callable[[ToolCall[_ArgsT]], Awaitable[str | InputRequiredResult]],
    *,
    annotations: ToolAnnotations | None = None,
) -> DemoTool:
    """A tool whose arguments are validated against ``args_model`` before ``run`` sees them."""

    async def handler(ctx: ServerRequestContext[Any, Any], params: CallToolRequestParams) -> ToolResult:
        try:
            args = args_model.model_validate(params.arguments or {})
        except ValidationError as exc:
            # Spec 2025-11-25 server/tools: input validation errors are tool execution errors
            # (isError: true) so the model can correct itself, not protocol errors.
            fields = sorted({".".join(str(part) for part in err["loc"]) for err in exc.errors()})
            return text_result(f"invalid arguments: {', '.join(fields)}", is_error=True)
        outcome = await run(ToolCall(ctx, params, args))
        return outcome if isinstance(outcome, InputRequiredResult) else text_result(outcome)

    schema = args_model.model_json_schema()
    schema.pop("title", None)
    definition = Tool(name=name, description=description, input_schema=schema, annotations=annotations)
    return DemoTool(definition, handler)


class Toolbox:
    def __init__(self) -> None:
        self._tools: dict[str, DemoTool] = {}

    def add(self, tool: DemoTool) -> None:
        name = tool.definition.name
        if name in self._tools:
            raise ValueError(f"tool {name!r} is already registered")
        self._tools[name] = tool

    def __contains__(self, name: str) -> bool:
        return name in self._tools

    def definitions(self) -> list[Tool]:
        return [tool.definition for tool in self._tools.values()]

    async def call(self, ctx: ServerRequestContext[Any, Any], params: CallToolRequestParams) -> ToolResult:
        tool = self._tools.get(params.name)
        if tool is None:
            raise MCPError(code=INVALID_PARAMS, message=f"Unknown tool: {params.name}")
        return await tool.handler(ctx, params)

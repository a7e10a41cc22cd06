"""The bundled example upstream: an MCP server built on the official SDK, run as its own process.

    python -m authz_mcp.demo.server stdio [--page-size N] [--extra-tools N] [--legacy-only]
    python -m authz_mcp.demo.server http [--host 127.0.0.1] [--port 0] [--page-size N] [--extra-tools N]
                                         [--json-response] [--stateless] [--legacy-only]
    python -m authz_mcp.demo.server sse [--host 127.0.0.1] [--port 0] [--page-size N] [--extra-tools N]

The server speaks both protocol eras (2025-11-25 and 2026-07-28); ``--legacy-only`` makes it
answer as a server that predates 2026-07-28 would, so both kinds of upstream can be staged.

In http mode the process prints exactly one line, ``READY http://<host>:<port>/mcp``, to stdout
(``.../sse`` in sse mode, the 2024-11-05 HTTP+SSE transport) once it accepts connections, so a
launcher can wait for that line instead of sleeping.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import anyio
from mcp.server import NotificationOptions, Server, ServerRequestContext
from mcp.server.models import InitializationOptions
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp_types import (
    CallToolRequestParams,
    CompleteRequestParams,
    CompleteResult,
    EmptyResult,
    GetPromptRequestParams,
    GetPromptResult,
    ListPromptsResult,
    ListResourcesResult,
    ListResourceTemplatesResult,
    ListToolsResult,
    PaginatedRequestParams,
    ReadResourceRequestParams,
    ReadResourceResult,
    SubscribeRequestParams,
    UnsubscribeRequestParams,
)

from authz_mcp.demo import content
from authz_mcp.demo.paging import paginate
from authz_mcp.demo.serving import serve_http, serve_sse, serve_stdio
from authz_mcp.demo.subscribers import ResourceSubscribers
from authz_mcp.demo.toolbox import Toolbox, ToolResult
from authz_mcp.demo.tools import LiveTools, cheap_tool, register_builtin_tools

SERVER_NAME = "authz-mcp-demo"
INSTRUCTIONS = (
    "Example upstream for the authz-mcp gateway. Tools range from harmless (echo, add, get_forecast, "
    "search_docs) to sensitive (delete_record) and admin-only (rotate_credentials); "
    "demo://finance/payroll is a sensitive resource."
)


@dataclass(frozen=True)
class DemoConfig:
    page_size: int | None = None
    """Items per page for every list method; None returns everything in one page."""
    extra_tools: int = 0
    """How many generated ``tool_NNNN`` tools to register on top of the built-in ones."""


class DemoServer(Server[Any]):
    """A lowlevel server that advertises the list-changed notifications it actually sends."""

    def create_initialization_options(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        # The streamable HTTP session manager calls this with no arguments, so the default has
        # to be right here rather than at each call site.
        return super().create_initialization_options(
            notification_options or NotificationOptions(tools_changed=True),
            experimental_capabilities,
            extensions,
        )


def build_server(config: DemoConfig) -> DemoServer:
    toolbox = Toolbox()
    subscribers = ResourceSubscribers()
    bus = InMemorySubscriptionBus()
    register_builtin_tools(toolbox, LiveTools(toolbox, subscribers, bus))
    for index in range(config.extra_tools):
        toolbox.add(cheap_tool(f"tool_{index:04d}"))
    size = config.page_size

    async def list_tools(
        ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListToolsResult:
        page = paginate("tools", toolbox.definitions(), _cursor(params), size)
        return ListToolsResult(tools=page.items, next_cursor=page.next_cursor)

    async def call_tool(ctx: ServerRequestContext[Any], params: CallToolRequestParams) -> ToolResult:
        return await toolbox.call(ctx, params)

    async def list_resources(
        ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListResourcesResult:
        page = paginate("resources", content.list_resources(), _cursor(params), size)
        return ListResourcesResult(resources=page.items, next_cursor=page.next_cursor)

    async def list_templates(
        ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListResourceTemplatesResult:
        page = paginate("templates", content.TEMPLATES, _cursor(params), size)
        return ListResourceTemplatesResult(resource_templates=page.items, next_cursor=page.next_cursor)

    async def read_resource(
        ctx: ServerRequestContext[Any], params: ReadResourceRequestParams
    ) -> ReadResourceResult:
        return ReadResourceResult(contents=[content.read_resource(params.uri)])

    async def subscribe(ctx: ServerRequestContext[Any], params: SubscribeRequestParams) -> EmptyResult:
        subscribers.subscribe(params.uri, ctx)
        return EmptyResult()

    async def unsubscribe(ctx: ServerRequestContext[Any], params: UnsubscribeRequestParams) -> EmptyResult:
        subscribers.unsubscribe(params.uri, ctx)
        return EmptyResult()

    async def list_prompts(
        ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListPromptsResult:
        page = paginate("prompts", content.PROMPTS, _cursor(params), size)
        return ListPromptsResult(prompts=page.items, next_cursor=page.next_cursor)

    async def get_prompt(ctx: ServerRequestContext[Any], params: GetPromptRequestParams) -> GetPromptResult:
        return content.get_prompt(params.name, params.arguments or {})

    async def complete(ctx: ServerRequestContext[Any], params: CompleteRequestParams) -> CompleteResult:
        return CompleteResult(completion=content.complete(params))

    return DemoServer(
        SERVER_NAME,
        version="0.1.0",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_list_resource_templates=list_templates,
        on_read_resource=read_resource,
        on_subscribe_resource=subscribe,
        on_unsubscribe_resource=unsubscribe,
        on_subscriptions_listen=ListenHandler(bus),
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
        on_completion=complete,
    )


def _cursor(params: PaginatedRequestParams | None) -> str | None:
    return params.cursor if params is not None else None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--page-size", type=int, default=None, help="paginate list methods, N items per page")
    common.add_argument("--extra-tools", type=int, default=0, help="register N generated tools tool_0000...")
    common.add_argument(
        "--legacy-only", action="store_true", help="speak only the 2025-11-25 handshake era, not 2026-07-28"
    )
    parser = argparse.ArgumentParser(
        prog="python -m authz_mcp.demo.server", description=__doc__.splitlines()[0]
    )
    transports = parser.add_subparsers(dest="transport", required=True)
    transports.add_parser("stdio", parents=[common], help="serve one client over stdin/stdout")
    http = transports.add_parser("http", parents=[common], help="serve streamable HTTP at /mcp")
    http.add_argument("--host", default="127.0.0.1")
    http.add_argument("--port", type=int, default=0, help="0 picks a free port")
    http.add_argument("--json-response", action="store_true", help="reply with JSON instead of SSE streams")
    http.add_argument("--stateless", action="store_true", help="no Mcp-Session-Id sessions")
    sse = transports.add_parser("sse", parents=[common], help="serve 2024-11-05 HTTP+SSE at /sse")
    sse.add_argument("--host", default="127.0.0.1")
    sse.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    if args.page_size is not None and args.page_size < 1:
        parser.error("--page-size must be at least 1")
    if args.extra_tools < 0:
        parser.error("--extra-tools must not be negative")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    # The demo deliberately serves handshake-era features (logging, sampling, roots) that the
    # 2026-07-28 revision deprecates; the SDK warns on every use.
    warnings.filterwarnings("ignore", category=MCPDeprecationWarning)
    server = build_server(DemoConfig(page_size=args.page_size, extra_tools=args.extra_tools))
    if args.transport == "stdio":
        anyio.run(lambda: serve_stdio(server, legacy_only=args.legacy_only))
    elif args.transport == "sse":
        anyio.run(lambda: serve_sse(server, args.host, args.port))
    else:
        anyio.run(
            lambda: serve_http(
                server,
                args.host,
                args.port,
                json_response=args.json_response,
                stateless=args.stateless,
                legacy_only=args.legacy_only,
            )
        )


if __name__ == "__main__":
    main(sys.argv[1:])

"""The server the conformance suite's server scenarios expect (their "Server Implementation
Requirements": `test_simple_text`, `test_simple_prompt`, `test://static-text`...), built on the
official Python SDK and served over Streamable HTTP in both eras.

    python -m tests.conformance.fixture_server      # prints READY http://127.0.0.1:<port>/mcp

Scenarios it does not implement (MRTR diagnostics, tasks) fail alike directly and through
the gateway; the comparison is what the tests assert.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import warnings
from typing import Any

import uvicorn
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.prompts.base import Message, UserMessage
from mcp.server.mcpserver.utilities.types import Audio, Image
from mcp.types import (
    CallToolResult,
    Completion,
    EmbeddedResource,
    EmptyResult,
    ImageContent,
    SetLevelRequestParams,
    TextContent,
    TextResourceContents,
)

# A 1x1 red PNG and a 44-byte silent WAV, as the scenarios' "minimal test" media.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
WAV = (
    b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00@\x1f\x00\x00@\x1f\x00\x00"
    b"\x01\x00\x08\x00data\x00\x00\x00\x00"
)


def build() -> MCPServer[Any]:
    server: MCPServer[Any] = MCPServer("authz-mcp-conformance-fixture", version="1.0.0")

    @server.tool()
    def test_simple_text() -> str:
        return "This is a simple text response for testing."

    @server.tool()
    def test_image_content() -> Image:
        return Image(data=PNG, format="png")

    @server.tool()
    def test_audio_content() -> Audio:
        return Audio(data=WAV, format="wav")

    @server.tool()
    def test_embedded_resource() -> CallToolResult:
        return CallToolResult(
            content=[_embedded("test://embedded-resource", "This is an embedded resource content.")]
        )

    @server.tool()
    def test_multiple_content_types() -> CallToolResult:
        return CallToolResult(
            content=[
                TextContent(type="text", text="Multiple content types test:"),
                ImageContent(type="image", data=base64.b64encode(PNG).decode(), mime_type="image/png"),
                _embedded(
                    "test://mixed-content-resource",
                    json.dumps({"test": "data", "value": 123}),
                    "application/json",
                ),
            ]
        )

    @server.tool()
    def test_error_handling() -> CallToolResult:
        text = "This tool intentionally returns an error for testing"
        return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)

    @server.tool()
    async def test_tool_with_progress(ctx: Context) -> str:
        for step in (0, 50, 100):
            await ctx.report_progress(step, 100)
            await asyncio.sleep(0.05)
        return "Progress test completed"

    @server.tool()
    def test_reconnection() -> str:
        # server-sse-polling calls it; this server keeps its streams open (no event store),
        # so the scenario sees the answer on the POST's own stream.
        return "Reconnection test completed"

    @server.tool()
    async def test_trigger_tool_change(ctx: Context) -> str:
        name = f"dynamic_tool_{len(server._tool_manager.list_tools())}"
        server.add_tool(lambda: "added", name=name)
        await ctx.notify_tools_changed()  # to open subscriptions/listen streams
        return f"added {name}"

    @server.tool()
    async def test_trigger_prompt_change(ctx: Context) -> str:
        name = f"dynamic_prompt_{len(server._prompt_manager.list_prompts())}"
        server.prompt(name=name)(lambda: "added")
        await ctx.notify_prompts_changed()
        return f"added {name}"

    @server.prompt()
    def test_simple_prompt() -> str:
        return "This is a simple prompt for testing."

    @server.prompt()
    def test_prompt_with_arguments(arg1: str, arg2: str) -> str:
        return f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"

    @server.prompt()
    def test_prompt_with_embedded_resource(resourceUri: str) -> list[Message]:
        return [
            UserMessage(content=_embedded(resourceUri, "Embedded resource content for testing.")),
            UserMessage(content="Please process the embedded resource above."),
        ]

    @server.prompt()
    def test_prompt_with_image() -> list[Message]:
        image = ImageContent(type="image", data=base64.b64encode(PNG).decode(), mime_type="image/png")
        return [UserMessage(content=image), UserMessage(content="Please analyze the image above.")]

    @server.resource("test://static-text", mime_type="text/plain")
    def static_text() -> str:
        return "This is the content of the static text resource."

    @server.resource("test://static-binary", mime_type="image/png")
    def static_binary() -> bytes:
        return PNG

    @server.resource("test://template/{id}/data", mime_type="application/json")
    def template_data(id: str) -> str:
        return json.dumps({"id": id, "templateTest": True, "data": f"Data for ID: {id}"})

    @server.completion()  # type: ignore[untyped-decorator, no-untyped-call]
    async def complete(ref: Any, argument: Any, context: Any) -> Completion:
        return Completion(values=[], total=0, has_more=False)

    async def set_level(ctx: Any, params: SetLevelRequestParams) -> EmptyResult:
        return EmptyResult()

    # The handshake era's logging/setLevel (server-initialize and logging-set-level scenarios).
    server._lowlevel_server.add_request_handler("logging/setLevel", SetLevelRequestParams, set_level)
    return server


def _embedded(uri: str, text: str, mime_type: str = "text/plain") -> EmbeddedResource:
    resource = TextResourceContents(uri=uri, mime_type=mime_type, text=text)
    return EmbeddedResource(type="resource", resource=resource)


class _Announcing(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, url: str) -> None:
        super().__init__(config)
        self._url = url

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            print(f"READY {self._url}", flush=True)


def main() -> None:
    warnings.simplefilter("ignore")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    config = uvicorn.Config(build().streamable_http_app(), log_level="warning", access_log=False)
    asyncio.run(_Announcing(config, url).serve(sockets=[sock]))


if __name__ == "__main__":
    main()

"""A naive file server with secrets in it: the upstream that security tests put behind the gateway.

    python -m tests.support.vault_server stdio [--record FILE] [--legacy-only]
    python -m tests.support.vault_server http [--host 127.0.0.1] [--port 0] [--record FILE] [--legacy-only]

What it holds (the constants below name every secret, so a test can assert none of them
reaches a client):

- resources under the template ``files://root/pub/{+path}``: ``files://root/pub/readme.txt``
  (public), ``files://root/pub/docs/guide.txt`` (public) and
  ``files://root/pub/internal/canary.txt`` (secret; its text contains ``FILE_CANARY``);
- tools ``list_files`` (public), ``touch`` (public: sends ``resources/updated``, naming the URI
  exactly as given, to every connection subscribed to the file that URI resolves to) and
  ``dump_secrets`` (secret; returns ``TOOL_CANARY``);
- prompts ``greeting`` (public) and ``vault_recovery`` (secret; contains ``PROMPT_CANARY``).

Like most file servers it trusts its input: a resource URI's path is percent-decoded, ``\\`` is
taken for ``/``, and dot segments are resolved *after* decoding, so
``files://root/pub/x/%2e%2e/internal/canary.txt`` reads the secret file. Only a gateway in
front of it can keep that file hidden.

``--record FILE`` appends one JSON line ``{"method": ..., "uri": ...}`` per resource URI the
server receives (read, subscribe, unsubscribe, completion ref), so a test can check what the
gateway forwarded. In http mode the process prints ``READY http://<host>:<port>/mcp`` once it
accepts connections, like the demo server.
"""

from __future__ import annotations

import argparse
import json
import posixpath
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import anyio
from mcp.server import Server, ServerRequestContext
from mcp.server.session import ServerSession
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, SubscriptionBus
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp.shared.subscriptions import ResourceUpdated
from mcp_types import (
    INVALID_PARAMS,
    CallToolRequestParams,
    CompleteRequestParams,
    CompleteResult,
    Completion,
    EmptyResult,
    GetPromptRequestParams,
    GetPromptResult,
    ListPromptsResult,
    ListResourcesResult,
    ListResourceTemplatesResult,
    ListToolsResult,
    PaginatedRequestParams,
    Prompt,
    PromptMessage,
    PromptReference,
    ReadResourceRequestParams,
    ReadResourceResult,
    Resource,
    ResourceTemplate,
    SubscribeRequestParams,
    TextContent,
    TextResourceContents,
    UnsubscribeRequestParams,
)
from pydantic import BaseModel

from authz_mcp.demo.serving import serve_http, serve_stdio
from authz_mcp.demo.subscribers import connection_key
from authz_mcp.demo.toolbox import Toolbox, ToolCall, ToolResult, demo_tool

VAULT_MODULE = "tests.support.vault_server"
SERVER_NAME = "vault"
FILES_TEMPLATE = "files://root/pub/{+path}"
PUB_PREFIX = "files://root/pub/"
README_URI = PUB_PREFIX + "readme.txt"
GUIDE_URI = PUB_PREFIX + "docs/guide.txt"
CANARY_URI = PUB_PREFIX + "internal/canary.txt"

FILE_CANARY = "CANARY-file-5d1e9b7a3c0f4e28"
TOOL_CANARY = "CANARY-tool-a8c2f61d9e0b4473"
PROMPT_CANARY = "CANARY-prompt-3f7b0c9e12d6458a"

# Paths relative to the served root /pub, after the server's own decoding and resolution.
FILES: dict[str, str] = {
    "readme.txt": "Public readme of the vault.\n",
    "docs/guide.txt": "How to use the vault.\n",
    "internal/canary.txt": f"Internal only. {FILE_CANARY}\n",
}

PUBLIC_TOOLS = ("list_files", "touch")
SECRET_TOOLS = ("dump_secrets",)
PUBLIC_PROMPTS = ("greeting",)
SECRET_PROMPTS = ("vault_recovery",)


class NoArgs(BaseModel):
    pass


class UriArgs(BaseModel):
    uri: str


def resolve(uri: str) -> str | None:
    """The served file a URI names, decoded and resolved the naive way; None if outside /pub."""
    if not uri.lower().startswith(PUB_PREFIX):
        return None
    path = unquote(uri[len(PUB_PREFIX) :]).split("?", 1)[0].split("#", 1)[0].replace("\\", "/")
    resolved = posixpath.normpath("/pub/" + path)
    return resolved[len("/pub/") :] if resolved.startswith("/pub/") else None


class FileSubscribers:
    """Subscriptions held by file, as a file server would: any spelling of a file's URI
    subscribes to that file, and an update names the file however the caller spelled it."""

    def __init__(self) -> None:
        self._by_path: dict[str, dict[str, ServerSession]] = {}

    def subscribe(self, uri: str, ctx: ServerRequestContext[Any, Any]) -> None:
        path = resolve(uri)
        if path is not None:
            self._by_path.setdefault(path, {})[connection_key(ctx)] = ctx.session

    def unsubscribe(self, uri: str, ctx: ServerRequestContext[Any, Any]) -> None:
        self._by_path.get(resolve(uri) or "", {}).pop(connection_key(ctx), None)

    async def notify_updated(self, uri: str) -> int:
        sessions = self._by_path.get(resolve(uri) or "", {})
        reached = 0
        for key, session in list(sessions.items()):
            try:
                await session.send_resource_updated(uri)
            except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                sessions.pop(key, None)
            else:
                reached += 1
        return reached


class Recorder:
    """Appends what the server received to a JSON-lines file (or nowhere)."""

    def __init__(self, path: Path | None) -> None:
        self._path = path

    def record(self, method: str, uri: str) -> None:
        if self._path is not None:
            with self._path.open("a", encoding="utf-8") as out:
                out.write(json.dumps({"method": method, "uri": uri}) + "\n")


def recorded(path: Path) -> list[dict[str, str]]:
    """What a server started with ``--record path`` received so far."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def build_server(recorder: Recorder) -> Server[Any]:
    subscribers = FileSubscribers()
    bus = InMemorySubscriptionBus()
    toolbox = _toolbox(subscribers, bus)

    async def list_tools(
        ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListToolsResult:
        return ListToolsResult(tools=toolbox.definitions())

    async def call_tool(ctx: ServerRequestContext[Any], params: CallToolRequestParams) -> ToolResult:
        return await toolbox.call(ctx, params)

    async def list_resources(
        ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListResourcesResult:
        resources = [Resource(uri=PUB_PREFIX + path, name=path, mime_type="text/plain") for path in FILES]
        return ListResourcesResult(resources=resources)

    async def list_templates(
        ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListResourceTemplatesResult:
        template = ResourceTemplate(uri_template=FILES_TEMPLATE, name="files", mime_type="text/plain")
        return ListResourceTemplatesResult(resource_templates=[template])

    async def read_resource(
        ctx: ServerRequestContext[Any], params: ReadResourceRequestParams
    ) -> ReadResourceResult:
        recorder.record("resources/read", params.uri)
        path = resolve(params.uri)
        if path is None or path not in FILES:
            raise MCPError(code=INVALID_PARAMS, message="Resource not found", data={"uri": params.uri})
        return ReadResourceResult(
            contents=[TextResourceContents(uri=params.uri, mime_type="text/plain", text=FILES[path])]
        )

    async def subscribe(ctx: ServerRequestContext[Any], params: SubscribeRequestParams) -> EmptyResult:
        recorder.record("resources/subscribe", params.uri)
        subscribers.subscribe(params.uri, ctx)
        return EmptyResult()

    async def unsubscribe(ctx: ServerRequestContext[Any], params: UnsubscribeRequestParams) -> EmptyResult:
        recorder.record("resources/unsubscribe", params.uri)
        subscribers.unsubscribe(params.uri, ctx)
        return EmptyResult()

    async def list_prompts(
        ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListPromptsResult:
        prompts = [
            Prompt(name=name, description=f"The {name} prompt.")
            for name in (*PUBLIC_PROMPTS, *SECRET_PROMPTS)
        ]
        return ListPromptsResult(prompts=prompts)

    async def get_prompt(ctx: ServerRequestContext[Any], params: GetPromptRequestParams) -> GetPromptResult:
        texts = {"greeting": "Say hello to the vault.", "vault_recovery": f"Recovery phrase: {PROMPT_CANARY}"}
        if params.name not in texts:
            raise MCPError(code=INVALID_PARAMS, message=f"Unknown prompt: {params.name}")
        message = PromptMessage(role="user", content=TextContent(type="text", text=texts[params.name]))
        return GetPromptResult(description=f"The {params.name} prompt.", messages=[message])

    async def complete(ctx: ServerRequestContext[Any], params: CompleteRequestParams) -> CompleteResult:
        if isinstance(params.ref, PromptReference):
            values: list[str] = []
        else:
            recorder.record("completion/complete", params.ref.uri)
            values = [path for path in FILES if path.startswith(params.argument.value)]
        return CompleteResult(completion=Completion(values=values, total=len(values), has_more=False))

    return Server(
        SERVER_NAME,
        version="1.0.0",
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


def _toolbox(subscribers: FileSubscribers, bus: SubscriptionBus) -> Toolbox:
    async def list_files(call: ToolCall[NoArgs]) -> str:
        return "\n".join(PUB_PREFIX + path for path in FILES if not path.startswith("internal/"))

    async def touch(call: ToolCall[UriArgs]) -> str:
        reached = await subscribers.notify_updated(call.args.uri)
        await bus.publish(ResourceUpdated(uri=call.args.uri))
        return f"sent resources/updated for {call.args.uri} to {reached} subscriber(s)"

    async def dump_secrets(call: ToolCall[NoArgs]) -> str:
        return f"master key: {TOOL_CANARY}"

    toolbox = Toolbox()
    toolbox.add(demo_tool("list_files", "List the public files.", NoArgs, list_files))
    toolbox.add(demo_tool("touch", "Tell subscribers a file changed.", UriArgs, touch))
    toolbox.add(demo_tool("dump_secrets", "Print the vault's master key.", NoArgs, dump_secrets))
    return toolbox


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--record", type=Path, default=None, help="append each received resource URI here")
    common.add_argument("--legacy-only", action="store_true", help="speak only the 2025-11-25 era")
    parser = argparse.ArgumentParser(prog=f"python -m {VAULT_MODULE}", description=__doc__.splitlines()[0])
    transports = parser.add_subparsers(dest="transport", required=True)
    transports.add_parser("stdio", parents=[common], help="serve one client over stdin/stdout")
    http = transports.add_parser("http", parents=[common], help="serve streamable HTTP at /mcp")
    http.add_argument("--host", default="127.0.0.1")
    http.add_argument("--port", type=int, default=0, help="0 picks a free port")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    # Subscriptions are a handshake-era feature that 2026-07-28 deprecates; the SDK warns on use.
    warnings.filterwarnings("ignore", category=MCPDeprecationWarning)
    server = build_server(Recorder(args.record))
    if args.transport == "stdio":
        anyio.run(lambda: serve_stdio(server, legacy_only=args.legacy_only))
    else:
        anyio.run(
            lambda: serve_http(
                server,
                args.host,
                args.port,
                json_response=False,
                stateless=False,
                legacy_only=args.legacy_only,
            )
        )


if __name__ == "__main__":
    main(sys.argv[1:])

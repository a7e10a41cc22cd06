"""The demo server's tools, from harmless (``echo``) to admin-only (``rotate_credentials``).

Their sensitivity is what an authorization policy in front of this server would key on; the
server itself enforces nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets

import anyio
from mcp.server.subscriptions import SubscriptionBus
from mcp.shared.subscriptions import ResourceUpdated, ToolsListChanged
from mcp_types import (
    CreateMessageRequest,
    CreateMessageRequestParams,
    CreateMessageResult,
    ElicitRequest,
    ElicitRequestFormParams,
    ElicitResult,
    InputRequiredResult,
    ListRootsRequest,
    ListRootsResult,
    SamplingMessage,
    TextContent,
    ToolAnnotations,
)
from pydantic import BaseModel, Field

from authz_mcp.demo.interactions import ask_client
from authz_mcp.demo.subscribers import ResourceSubscribers
from authz_mcp.demo.toolbox import DemoTool, Toolbox, ToolCall, demo_tool

logger = logging.getLogger(__name__)

_READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
_DESTRUCTIVE = ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=False)
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class EchoArgs(BaseModel):
    text: str = Field(description="Text to send back")


class AddArgs(BaseModel):
    a: int
    b: int


class CityArgs(BaseModel):
    city: str = Field(min_length=1, max_length=100)


class QueryArgs(BaseModel):
    query: str = Field(max_length=200)


class RecordArgs(BaseModel):
    record_id: str = Field(min_length=1, max_length=100)


class NoArgs(BaseModel):
    pass


class SlowTaskArgs(BaseModel):
    steps: int = Field(default=3, ge=1, le=100)
    delay_ms: int = Field(default=10, ge=0, le=10_000)


class QuestionArgs(BaseModel):
    question: str = Field(max_length=2_000)


class ActionArgs(BaseModel):
    action: str = Field(max_length=200)


class UriArgs(BaseModel):
    uri: str = Field(max_length=2_000)


class NameArgs(BaseModel):
    name: str = Field(description="Name of the tool to create; letters, digits, '_', '.', '-'")


class ValueArgs(BaseModel):
    value: str = ""


class Confirmation(BaseModel):
    """What ``confirm_action`` asks the user for (flat primitives only, as elicitation requires)."""

    confirm: bool = Field(description="Go ahead with the action?")


DOC_TITLES = {
    "demo://docs/readme": "Getting started with the demo server",
    "demo://docs/handbook": "Operator handbook: deploys, incidents and on-call",
}


async def echo(call: ToolCall[EchoArgs]) -> str:
    return call.args.text


async def add(call: ToolCall[AddArgs]) -> str:
    return str(call.args.a + call.args.b)


async def get_forecast(call: ToolCall[CityArgs]) -> str:
    # Deterministic so tests can assert on it: the city picks the weather.
    digest = hashlib.sha256(call.args.city.lower().encode()).digest()
    sky = ("sunny", "cloudy", "rainy", "windy")[digest[0] % 4]
    return f"{call.args.city}: {sky}, {digest[1] % 35}°C"


async def search_docs(call: ToolCall[QueryArgs]) -> str:
    words = call.args.query.lower().split()
    hits = [uri for uri, title in DOC_TITLES.items() if all(word in title.lower() for word in words)]
    return "\n".join(hits) if hits else "no matches"


async def delete_record(call: ToolCall[RecordArgs]) -> str:
    return f"deleted record {call.args.record_id}"


async def rotate_credentials(call: ToolCall[NoArgs]) -> str:
    return f"credentials rotated; new key id {secrets.token_hex(6)}"


async def slow_task(call: ToolCall[SlowTaskArgs]) -> str:
    steps = call.args.steps
    step = 0
    try:
        for step in range(1, steps + 1):
            await anyio.sleep(call.args.delay_ms / 1000)
            await call.ctx.session.report_progress(step, steps, f"step {step}/{steps}")
            await call.ctx.session.send_log_message(
                "info",
                f"slow_task finished step {step}/{steps}",
                logger="demo",
                related_request_id=call.ctx.request_id,
            )
    except anyio.get_cancelled_exc_class():
        # On stderr, so whoever runs the server can see that a client's cancellation arrived.
        logger.warning("slow_task cancelled at step %d of %d", step, steps)
        raise
    return f"completed {steps} steps"


async def ask_model(call: ToolCall[QuestionArgs]) -> str | InputRequiredResult:
    request = CreateMessageRequest(
        params=CreateMessageRequestParams(
            messages=[
                SamplingMessage(role="user", content=TextContent(type="text", text=call.args.question))
            ],
            max_tokens=200,
        )
    )
    answer = await ask_client(call.ctx, call.params, request, CreateMessageResult)
    if isinstance(answer, InputRequiredResult):
        return answer
    return answer.content.text if isinstance(answer.content, TextContent) else f"[{answer.content.type}]"


async def confirm_action(call: ToolCall[ActionArgs]) -> str | InputRequiredResult:
    schema = Confirmation.model_json_schema()
    schema.pop("title", None)
    schema.pop("description", None)
    request = ElicitRequest(
        params=ElicitRequestFormParams(message=f"Allow action {call.args.action!r}?", requested_schema=schema)
    )
    answer = await ask_client(call.ctx, call.params, request, ElicitResult)
    if isinstance(answer, InputRequiredResult):
        return answer
    return json.dumps({"action": answer.action, "content": answer.content}, sort_keys=True)


async def list_client_roots(call: ToolCall[NoArgs]) -> str | InputRequiredResult:
    answer = await ask_client(call.ctx, call.params, ListRootsRequest(), ListRootsResult)
    if isinstance(answer, InputRequiredResult):
        return answer
    return "\n".join(str(root.uri) for root in answer.roots)


def cheap_tool(name: str) -> DemoTool:
    async def run(call: ToolCall[ValueArgs]) -> str:
        return f"{name}:{call.args.value}"

    return demo_tool(
        name, f"Generated tool {name}; returns its name and value.", ValueArgs, run, annotations=_READ_ONLY
    )


class LiveTools:
    """The tools that change server state: the registry itself and resource subscriptions."""

    def __init__(self, toolbox: Toolbox, subscribers: ResourceSubscribers, bus: SubscriptionBus) -> None:
        self._toolbox = toolbox
        self._subscribers = subscribers
        self._bus = bus

    async def touch_resource(self, call: ToolCall[UriArgs]) -> str:
        reached = await self._subscribers.notify_updated(call.args.uri)
        await self._bus.publish(ResourceUpdated(uri=call.args.uri))
        return f"sent resources/updated for {call.args.uri} to {reached} subscriber(s)"

    async def add_dynamic_tool(self, call: ToolCall[NameArgs]) -> str:
        name = call.args.name
        if not _TOOL_NAME.match(name) or name in self._toolbox:
            return f"cannot add tool {name!r}: invalid or taken name"
        self._toolbox.add(cheap_tool(name))
        # The caller's connection hears about it on its standalone stream; 2026-07-28 clients
        # hear about it through subscriptions/listen.
        await call.ctx.session.send_tool_list_changed()
        await self._bus.publish(ToolsListChanged())
        return f"added tool {name}"


def register_builtin_tools(toolbox: Toolbox, live: LiveTools) -> None:
    for tool in (
        demo_tool("echo", "Echo the text back.", EchoArgs, echo, annotations=_READ_ONLY),
        demo_tool("add", "Add two integers.", AddArgs, add, annotations=_READ_ONLY),
        demo_tool(
            "get_forecast", "Weather forecast for a city.", CityArgs, get_forecast, annotations=_READ_ONLY
        ),
        demo_tool(
            "search_docs", "Search the document library.", QueryArgs, search_docs, annotations=_READ_ONLY
        ),
        demo_tool(
            "delete_record",
            "Delete a record (sensitive).",
            RecordArgs,
            delete_record,
            annotations=_DESTRUCTIVE,
        ),
        demo_tool(
            "rotate_credentials",
            "Rotate service credentials (admin).",
            NoArgs,
            rotate_credentials,
            annotations=_DESTRUCTIVE,
        ),
        demo_tool(
            "slow_task", "Run steps, reporting progress and logging each one.", SlowTaskArgs, slow_task
        ),
        demo_tool("ask_model", "Ask the client's model a question (sampling).", QuestionArgs, ask_model),
        demo_tool(
            "confirm_action", "Ask the user to confirm an action (elicitation).", ActionArgs, confirm_action
        ),
        demo_tool(
            "list_client_roots", "List the client's roots.", NoArgs, list_client_roots, annotations=_READ_ONLY
        ),
        demo_tool("touch_resource", "Tell subscribers a resource changed.", UriArgs, live.touch_resource),
        demo_tool("add_dynamic_tool", "Register a new tool at runtime.", NameArgs, live.add_dynamic_tool),
    ):
        toolbox.add(tool)

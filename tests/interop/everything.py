"""server-everything, the protocol's reference server: its pinned launchers, the requests the
interop tests send it, and the policy of its two users, `full` and `limited`."""

from __future__ import annotations

import base64
import contextlib
import re
from collections.abc import Callable, Iterator
from typing import Any

from mcp.client.sse import sse_client

from tests.interop.compare import Catalog, Outcome, Request, call, complete, get, prefixed, read
from tests.interop.servers import everything_stdio, running_everything_http

DOCS = "demo://resource/static/document"
REQUESTS = (
    call("echo", message="hello through the gateway"),
    call("get-sum", a=2, b=40),
    call("get-tiny-image"),
    call("get-annotated-message", messageType="error", includeImage=True),
    call("get-structured-content", location="Chicago"),
    call("get-resource-links", count=2),
    call("get-resource-reference", resourceType="Text", resourceId=3),
    call("get-sum", a="two", b=40),
    get("simple-prompt"),
    get("args-prompt", city="Paris", state="TX"),
    get("resource-prompt", resourceType="Text", resourceId="2"),
    read(f"{DOCS}/architecture.md"),
    read(f"{DOCS}/features.md"),
    read("demo://resource/dynamic/blob/2"),
    call("trigger-long-running-operation", duration=0.1, steps=2),
    complete("completable-prompt", "department", "E"),
    complete("completable-prompt", "name", "", department="Engineering"),
)
LIMITED_POLICY = (
    "p, role:limited, {u}/tools/echo, call, allow",
    "p, role:limited, {u}/tools/get-sum, call, allow",
    "p, role:limited, {u}/prompts/simple-prompt, get, allow",
    f"p, role:limited, {{u}}/resources/{DOCS}/*, read, allow",
)
LIMITED_TOOLS = ["echo", "get-sum"]
LIMITED_PROMPTS = ["simple-prompt"]
HIDDEN = (
    call("get-env"),
    call("get-tiny-image"),
    get("args-prompt", city="Paris"),
    read("demo://resource/dynamic/text/1"),
    complete("completable-prompt", "department", "E"),
)
# The dynamic resources say when they were made ("created at 3:52:46 PM"), in text and in blobs.
_CREATED_AT = re.compile(r"created at \d{1,2}:\d{2}:\d{2}\s?[AP]M")


def timeless(value: Any) -> Any:
    """`value` with the dynamic resources' creation times blanked out, blobs included."""
    if isinstance(value, str):
        return _CREATED_AT.sub("created at <time>", value)
    if isinstance(value, Outcome):
        return {"result": timeless(value.result), "error": timeless(value.error)}
    if isinstance(value, list | tuple):
        return [timeless(item) for item in value]
    if isinstance(value, dict):
        out = {key: timeless(item) for key, item in value.items()}
        if isinstance(value.get("blob"), str):
            text = timeless(base64.b64decode(value["blob"]).decode("utf-8", "replace"))
            out["blob"] = base64.b64encode(text.encode()).decode()
        return out
    return value


U = "everything__"
POLICY = (
    "p, role:full, everything/tools/*, call, allow",
    "p, role:full, everything/prompts/*, get, allow",
    "p, role:full, everything/resources/*, read, allow",
    *(line.format(u="everything") for line in LIMITED_POLICY),
    "g, full, role:full",
    "g, limited, role:limited",
)


@contextlib.contextmanager
def everything(transport: str) -> Iterator[tuple[Callable[[], Any], dict[str, Any]]]:
    """server-everything over `transport` (stdio, streamableHttp or sse): a factory of what a
    direct `mcp.Client` connects to (a transport can be entered once), and the gateway's
    upstream config for it."""
    if transport == "stdio":
        server = everything_stdio()
        yield server.params, server.upstream()
        return
    with running_everything_http(transport) as http:
        if transport == "sse":
            yield lambda: sse_client(http.url, timeout=30.0), {"transport": "sse", "url": http.url}
        else:
            yield lambda: http.url, {"transport": "streamable-http", "url": http.url}


def limited_view(direct: Catalog) -> Catalog:
    """What the limited user should see of server-everything: the direct catalog's permitted
    items, names prefixed, every field as the server gave it."""
    shown = prefixed(direct, "everything")
    return {
        "tools": [item for item in shown["tools"] if item["name"] in [U + name for name in LIMITED_TOOLS]],
        "prompts": [
            item for item in shown["prompts"] if item["name"] in [U + name for name in LIMITED_PROMPTS]
        ],
        "resources": [item for item in shown["resources"] if str(item["uri"]).startswith(DOCS + "/")],
        "resourceTemplates": [],
    }


def permitted(requests: tuple[Request, ...] = REQUESTS) -> list[int]:
    """Indexes of the requests that the limited user may send."""
    return [
        index
        for index, request in enumerate(requests)
        if request.target in LIMITED_TOOLS + LIMITED_PROMPTS or request.target.startswith(DOCS + "/")
    ]

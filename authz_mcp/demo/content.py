"""The demo server's resources, resource template, prompts and argument completions."""

from __future__ import annotations

import re

from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    CompleteRequestParams,
    Completion,
    GetPromptResult,
    Prompt,
    PromptArgument,
    PromptMessage,
    PromptReference,
    Resource,
    ResourceTemplate,
    TextContent,
    TextResourceContents,
)

USER_PROFILE_TEMPLATE = "demo://users/{user_id}/profile"
_USER_PROFILE = re.compile(r"^demo://users/(?P<user_id>[A-Za-z0-9_-]{1,64})/profile$")

_DOCUMENTS: dict[str, tuple[Resource, str]] = {
    "demo://docs/readme": (
        Resource(uri="demo://docs/readme", name="readme", title="README", mime_type="text/markdown"),
        "# Demo server\n\nAn example upstream for authz-mcp.\n",
    ),
    "demo://docs/handbook": (
        Resource(
            uri="demo://docs/handbook", name="handbook", title="Operator handbook", mime_type="text/markdown"
        ),
        "# Handbook\n\nDeploys go out on Tuesdays. Page the on-call for incidents.\n",
    ),
    "demo://finance/payroll": (
        Resource(
            uri="demo://finance/payroll",
            name="payroll",
            title="Payroll (sensitive)",
            description="Salaries; readable by finance only.",
            mime_type="text/csv",
        ),
        "employee,salary\nalice,100000\nbob,90000\n",
    ),
}

KNOWN_USERS = ("alice", "bob", "carol", "dave")
SERVICES = ("api", "billing", "search")

PROMPTS = [
    Prompt(
        name="summarize",
        description="Summarize a text.",
        arguments=[PromptArgument(name="text", description="Text to summarize", required=True)],
    ),
    Prompt(
        name="incident_report",
        description="Draft an incident report for a service.",
        arguments=[PromptArgument(name="service", description="Affected service", required=True)],
    ),
]

TEMPLATES = [
    ResourceTemplate(
        uri_template=USER_PROFILE_TEMPLATE,
        name="user_profile",
        title="User profile",
        mime_type="application/json",
    )
]


def list_resources() -> list[Resource]:
    return [resource for resource, _ in _DOCUMENTS.values()]


def read_resource(uri: str) -> TextResourceContents:
    if uri in _DOCUMENTS:
        resource, text = _DOCUMENTS[uri]
        return TextResourceContents(uri=uri, mime_type=resource.mime_type, text=text)
    match = _USER_PROFILE.match(uri)
    if match is not None:
        user_id = match["user_id"]
        text = f'{{"user_id": "{user_id}", "display_name": "{user_id.title()}"}}'
        return TextResourceContents(uri=uri, mime_type="application/json", text=text)
    # Spec 2025-11-25 server/resources: "Resource not found: -32002". The SDK's own servers
    # answer -32602; either is accepted by clients, and -32602 keeps one code for bad input.
    raise MCPError(code=INVALID_PARAMS, message="Resource not found", data={"uri": uri})


def get_prompt(name: str, arguments: dict[str, str]) -> GetPromptResult:
    if name == "summarize":
        text = _required(arguments, "text")
        return _single_message(
            "Summarize a text.", f"Summarize the following text in one paragraph:\n\n{text}"
        )
    if name == "incident_report":
        service = _required(arguments, "service")
        return _single_message(
            "Draft an incident report.",
            f"Write an incident report for the {service} service: impact, timeline, root cause, follow-ups.",
        )
    raise MCPError(code=INVALID_PARAMS, message=f"Unknown prompt: {name}")


def complete(params: CompleteRequestParams) -> Completion:
    ref, argument = params.ref, params.argument
    candidates: tuple[str, ...]
    if isinstance(ref, PromptReference):
        candidates = SERVICES if (ref.name, argument.name) == ("incident_report", "service") else ()
    else:
        candidates = KNOWN_USERS if (ref.uri, argument.name) == (USER_PROFILE_TEMPLATE, "user_id") else ()
    values = [value for value in candidates if value.startswith(argument.value)]
    return Completion(values=values, total=len(values), has_more=False)


def _required(arguments: dict[str, str], name: str) -> str:
    value = arguments.get(name)
    if value is None:
        raise MCPError(code=INVALID_PARAMS, message=f"Missing required argument: {name}")
    return value


def _single_message(description: str, text: str) -> GetPromptResult:
    return GetPromptResult(
        description=description,
        messages=[PromptMessage(role="user", content=TextContent(type="text", text=text))],
    )

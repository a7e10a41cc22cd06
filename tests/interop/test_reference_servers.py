"""Five reference servers published by others, over stdio behind one gateway: server-filesystem,
server-memory and server-sequential-thinking (npm), mcp-server-time and mcp-server-git (PyPI).

Per server: a fully permitted user sees what a direct client sees (names prefixed), field by
field, and gets the same answers; a limited user sees and can use exactly what the policy
allows, and a hidden item answers like one that does not exist.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.interop.compare import (
    Request,
    assert_answers_like_a_missing_one,
    call,
    catalog,
    names,
    outcome,
    prefixed,
    read,
)
from tests.interop.conftest import (
    MODULE_TIMEOUT,
    Setup,
    full_access,
    interop_gateway,
    observe,
    observe_direct,
)
from tests.interop.servers import (
    StdioServer,
    filesystem,
    git_server,
    make_file_tree,
    make_git_repository,
    memory,
    sequential_thinking,
    time_server,
)
from tests.support.clients import mcp_client
from tests.support.issuer import RunningIssuer

GRAPH = [
    {"type": "entity", "name": "Ada", "entityType": "person", "observations": ["writes programs"]},
    {"type": "entity", "name": "Engine", "entityType": "machine", "observations": ["computes"]},
    {"type": "relation", "from": "Ada", "to": "Engine", "relationType": "programs"},
]


@dataclass(frozen=True)
class Case:
    """One server: its representative requests, and what the limited user may do with it."""

    server: StdioServer
    requests: tuple[Request, ...]
    limited_policy: tuple[str, ...]
    limited_sees: dict[str, list[str]]
    hidden: tuple[Request, ...] = field(default=())


def cases(tmp_path: Path) -> dict[str, Case]:
    root = make_file_tree(tmp_path / "files")
    repository = make_git_repository(tmp_path / "repository")
    graph = tmp_path / "graph.jsonl"
    graph.write_text("".join(json.dumps(line) + "\n" for line in GRAPH), encoding="utf-8")
    nothing: dict[str, list[str]] = {"prompts": [], "resources": [], "resourceTemplates": []}
    return {
        "fs": Case(
            filesystem(root),
            (
                call("read_text_file", path=str(root / "docs/guide.md")),
                call("list_directory", path=str(root)),
                call("directory_tree", path=str(root / "docs")),
                call("search_files", path=str(root), pattern="**/*.md"),
                call("list_allowed_directories"),
                call("read_text_file", path="/etc/hostname"),
            ),
            (
                "p, role:limited-fs, fs/tools/read_text_file, call, allow",
                "p, role:limited-fs, fs/tools/list_*, call, allow",
                "p, role:limited-fs, fs/tools/list_directory_with_sizes, call, deny",
            ),
            {"tools": ["list_allowed_directories", "list_directory", "read_text_file"], **nothing},
            (
                call("write_file", path=str(root / "x.txt"), content="x"),
                call("directory_tree", path=str(root)),
            ),
        ),
        "memory": Case(
            memory(graph),
            (
                call("read_graph"),
                call("search_nodes", query="Ada"),
                call("open_nodes", names=["Engine"]),
                read("memory://knowledge-graph"),
            ),
            (
                "p, role:limited-memory, memory/tools/read_graph, call, allow",
                "p, role:limited-memory, memory/tools/search_nodes, call, allow",
            ),
            {"tools": ["read_graph", "search_nodes"], **nothing},
            (call("delete_entities", entityNames=["Ada"]), read("memory://knowledge-graph")),
        ),
        "thinking": Case(
            sequential_thinking(),
            (
                call(
                    "sequentialthinking",
                    thought="First step",
                    thoughtNumber=1,
                    totalThoughts=1,
                    nextThoughtNeeded=False,
                ),
            ),
            (),
            {"tools": [], **nothing},
            (
                call(
                    "sequentialthinking",
                    thought="x",
                    thoughtNumber=1,
                    totalThoughts=1,
                    nextThoughtNeeded=False,
                ),
            ),
        ),
        "time": Case(
            time_server(),
            (
                call(
                    "convert_time", source_timezone="Europe/Paris", time="14:30", target_timezone="Asia/Tokyo"
                ),
                call("convert_time", source_timezone="Nowhere/Land", time="14:30", target_timezone="UTC"),
            ),
            ("p, role:limited-time, time/tools/convert_time, call, allow",),
            {"tools": ["convert_time"], **nothing},
            (call("get_current_time", timezone="UTC"),),
        ),
        "git": Case(
            git_server(repository),
            (
                call("git_status", repo_path=str(repository)),
                call("git_log", repo_path=str(repository)),
                call("git_diff_unstaged", repo_path=str(repository)),
                call("git_show", repo_path=str(repository), revision="HEAD"),
                call("git_branch", repo_path=str(repository), branch_type="local"),
            ),
            (
                "p, role:limited-git, git/tools/git_*, call, allow",
                *(
                    f"p, role:limited-git, git/tools/git_{verb}, call, deny"
                    for verb in ("add", "commit", "reset", "checkout", "create_branch")
                ),
            ),
            {
                "tools": [
                    "git_branch",
                    "git_diff",
                    "git_diff_staged",
                    "git_diff_unstaged",
                    "git_log",
                    "git_show",
                    "git_status",
                ],
                **nothing,
            },
            (
                call("git_commit", repo_path=str(repository), message="sneaky"),
                call("git_reset", repo_path=str(repository)),
            ),
        ),
    }


pytestmark = pytest.mark.timeout(MODULE_TIMEOUT)

UPSTREAMS = ["fs", "memory", "thinking", "time", "git"]


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    return cases(tmp_path_factory.mktemp("servers"))


@pytest.fixture(scope="module")
def setup(
    issuer: RunningIssuer, known: dict[str, Case], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    direct = observe_direct({name: (case.server, case.requests) for name, case in known.items()})
    policy: list[str] = []
    for name, case in known.items():
        policy += full_access(name, f"role:full-{name}")
        policy += [f"g, full-{name}, role:full-{name}", f"g, limited-{name}, role:limited-{name}"]
        policy += case.limited_policy
    upstreams = {name: case.server.upstream() for name, case in known.items()}
    with interop_gateway(issuer, tmp_path_factory.mktemp("gateway"), upstreams, policy) as (gateway, mint):
        yield Setup(gateway, direct, mint)


@pytest.mark.parametrize("upstream", UPSTREAMS)
async def test_a_fully_permitted_user_lists_what_the_server_lists(setup: Setup, upstream: str) -> None:
    async with mcp_client(setup.gateway.url, setup.mint(f"full-{upstream}")) as client:
        seen = await catalog(client)
    assert seen == prefixed(setup.direct[upstream].catalog, upstream)


@pytest.mark.parametrize("upstream", UPSTREAMS)
async def test_a_fully_permitted_user_gets_the_answers_the_server_gives(
    setup: Setup, known: dict[str, Case], upstream: str
) -> None:
    async with mcp_client(setup.gateway.url, setup.mint(f"full-{upstream}")) as client:
        seen = await observe(client, known[upstream].requests, f"{upstream}__")
    assert seen == setup.direct[upstream].outcomes
    assert all(answer.error is None for answer in seen)


@pytest.mark.parametrize("upstream", UPSTREAMS)
async def test_a_limited_user_sees_exactly_what_the_policy_allows(
    setup: Setup, known: dict[str, Case], upstream: str
) -> None:
    async with mcp_client(setup.gateway.url, setup.mint(f"limited-{upstream}")) as client:
        seen = await catalog(client)
    expected = names(prefixed(setup.direct[upstream].catalog, upstream))
    allowed = known[upstream].limited_sees
    assert names(seen) == {
        kind: [f"{upstream}__{n}" if kind in ("tools", "prompts") else n for n in allowed[kind]]
        for kind in expected
    }
    direct_items = {
        json.dumps(item, sort_keys=True)
        for items in prefixed(setup.direct[upstream].catalog, upstream).values()
        for item in items
    }
    assert all(json.dumps(item, sort_keys=True) in direct_items for items in seen.values() for item in items)


@pytest.mark.parametrize("upstream", UPSTREAMS)
async def test_a_limited_user_can_use_what_it_sees_and_hidden_items_answer_like_missing_ones(
    setup: Setup, known: dict[str, Case], upstream: str
) -> None:
    case = known[upstream]
    allowed = set(case.limited_sees["tools"])
    usable = [(i, r) for i, r in enumerate(case.requests) if r.method == "tools/call" and r.target in allowed]
    async with mcp_client(setup.gateway.url, setup.mint(f"limited-{upstream}")) as client:
        for index, request in usable:
            assert (
                await outcome(request.send(client, f"{upstream}__")) == setup.direct[upstream].outcomes[index]
            )
        for request in case.hidden:
            await assert_answers_like_a_missing_one(client, request, f"{upstream}__")

"""Aggregating upstream catalogs: prefixed names, collisions, and resource routing (DESIGN §5)."""

from __future__ import annotations

import pytest

from authz_mcp.errors import CatalogCollision
from authz_mcp.proxy.catalog import Kind
from tests.proxy.catalogs import catalog, lists, prompt, resource, template, tool


def test_tools_and_prompts_are_exposed_under_the_upstream_prefix() -> None:
    built, _ = catalog(lists("github", tools=[tool("create_issue")], prompts=[prompt("triage")]))
    assert list(built.entries[Kind.TOOLS]) == ["github__create_issue"]
    assert list(built.entries[Kind.PROMPTS]) == ["github__triage"]


def test_an_entry_keeps_the_upstream_name_and_policy_object() -> None:
    built, _ = catalog(lists("github", tools=[tool("create_issue")], prompts=[prompt("triage")]))
    issue = built.get(Kind.TOOLS, "github__create_issue")
    triage = built.get(Kind.PROMPTS, "github__triage")
    assert issue is not None
    assert triage is not None
    assert (issue.upstream, issue.original, issue.object) == (
        "github",
        "create_issue",
        "github/tools/create_issue",
    )
    assert (triage.original, triage.object) == ("triage", "github/prompts/triage")


def test_renamed_item_keeps_every_other_field() -> None:
    original = tool("create_issue", description="Open an issue", annotations={"readOnlyHint": False})
    built, _ = catalog(lists("github", tools=[original]))
    entry = built.get(Kind.TOOLS, "github__create_issue")
    assert entry is not None
    assert entry.item == {**original, "name": "github__create_issue"}
    assert original["name"] == "create_issue"


def test_empty_prefix_exposes_names_unchanged() -> None:
    built, _ = catalog(lists("github", tools=[tool("create_issue")]), prefixes={"github": ""})
    entry = built.get(Kind.TOOLS, "create_issue")
    assert entry is not None
    assert entry.item["name"] == "create_issue"
    assert entry.object == "github/tools/create_issue"


def test_long_names_are_shortened_but_authorized_by_their_original_name() -> None:
    name = "a_really_long_tool_name_" * 4
    built, _ = catalog(lists("github", tools=[tool(name)]))
    (entry,) = built.entries[Kind.TOOLS].values()
    assert len(entry.exposed) == 64
    assert entry.item["name"] == entry.exposed
    assert entry.object == f"github/tools/{name}"


def test_resources_and_templates_are_not_renamed() -> None:
    built, _ = catalog(
        lists("fs", resources=[resource("file:///srv/docs/a.md")], templates=[template("file:///srv/{path}")])
    )
    assert list(built.entries[Kind.RESOURCES]) == ["file:///srv/docs/a.md"]
    assert list(built.entries[Kind.TEMPLATES]) == ["file:///srv/{path}"]
    entry = built.get(Kind.RESOURCES, "file:///srv/docs/a.md")
    assert entry is not None
    assert entry.object == "fs/resources/file:///srv/docs/a.md"


@pytest.mark.parametrize("bad", [{"description": "no name"}, {"name": ""}, {"name": 7}])
def test_items_without_a_usable_name_are_left_out(bad: dict[str, object]) -> None:
    built, _ = catalog(lists("a", tools=[bad, tool("ok")]))
    assert list(built.entries[Kind.TOOLS]) == ["a__ok"]


def test_catalog_knows_its_upstreams() -> None:
    built, _ = catalog(lists("a", tools=[tool("x")]), lists("b"))
    assert built.upstreams == frozenset({"a", "b"})


@pytest.mark.parametrize("kind", ["tools", "prompts"])
def test_strict_name_collision_names_both_upstreams(kind: str) -> None:
    item = tool("echo") if kind == "tools" else prompt("echo")
    first, second = lists("first", **{kind: [item]}), lists("second", **{kind: [item]})
    with pytest.raises(CatalogCollision) as raised:
        catalog(first, second, prefixes={"first": "", "second": ""})
    assert (raised.value.first, raised.value.second) == ("first", "second")
    assert "'first'" in str(raised.value)
    assert "'second'" in str(raised.value)


def test_prefixed_names_from_two_upstreams_do_not_collide() -> None:
    built, collisions = catalog(lists("a", tools=[tool("echo")]), lists("b", tools=[tool("echo")]))
    assert list(built.entries[Kind.TOOLS]) == ["a__echo", "b__echo"]
    assert collisions == []


def test_lenient_collision_keeps_the_first_and_reports_the_later() -> None:
    built, collisions = catalog(
        lists("first", tools=[tool("echo", description="first")]),
        lists("second", tools=[tool("echo", description="second"), tool("only_second")]),
        prefixes={"first": "", "second": ""},
        strict=False,
    )
    echo = built.get(Kind.TOOLS, "echo")
    assert echo is not None
    assert (echo.upstream, echo.item["description"]) == ("first", "first")
    assert set(built.entries[Kind.TOOLS]) == {"echo", "only_second"}
    assert [(c.first, c.second) for c in collisions] == [("first", "second")]


def test_an_upstream_listing_a_name_twice_keeps_its_first_item() -> None:
    built, collisions = catalog(
        lists("a", tools=[tool("echo", description="1"), tool("echo", description="2")])
    )
    entry = built.get(Kind.TOOLS, "a__echo")
    assert entry is not None
    assert entry.item["description"] == "1"
    assert collisions == []


def test_duplicate_resource_uri_routes_to_the_first_upstream_even_when_strict() -> None:
    uri = "file:///srv/shared.md"
    built, collisions = catalog(lists("a", resources=[resource(uri)]), lists("b", resources=[resource(uri)]))
    assert built.route_resource(uri) == "a"
    assert [(c.first, c.second) for c in collisions] == [("a", "b")]


PROFILE = "demo://users/{user_id}/profile"


@pytest.mark.parametrize(
    ("uri", "upstream"),
    [
        ("demo://docs/readme", "a"),
        ("demo://users/7/profile", "b"),
        ("demo://users/7/settings", None),
        ("demo://unknown", None),
    ],
)
def test_resource_routes_to_the_upstream_listing_it_or_matching_a_template(
    uri: str, upstream: str | None
) -> None:
    built, _ = catalog(
        lists("a", resources=[resource("demo://docs/readme")]),
        lists("b", templates=[template(PROFILE)]),
    )
    assert built.route_resource(uri) == upstream


def test_matching_templates_lists_every_template_that_matches() -> None:
    built, _ = catalog(
        lists("a", templates=[template("demo://users/{user_id}/profile")]),
        lists("b", templates=[template("demo://users/{id}/{section}"), template("demo://other/{x}")]),
    )
    matches = built.matching_templates("demo://users/7/profile")
    assert [(entry.upstream, entry.original) for entry in matches] == [
        ("a", "demo://users/{user_id}/profile"),
        ("b", "demo://users/{id}/{section}"),
    ]
    assert built.route_resource("demo://users/7/profile") == "a"


def test_listed_resource_wins_over_an_earlier_upstreams_template() -> None:
    built, _ = catalog(
        lists("a", templates=[template(PROFILE)]),
        lists("b", resources=[resource("demo://users/7/profile")]),
    )
    assert built.route_resource("demo://users/7/profile") == "b"


def test_unparseable_template_is_listed_but_routes_nothing() -> None:
    built, _ = catalog(lists("a", templates=[template("demo://users/{unclosed")]))
    assert list(built.entries[Kind.TEMPLATES]) == ["demo://users/{unclosed"]
    assert built.route_resource("demo://users/7") is None


def test_resources_and_templates_are_keyed_and_decided_on_in_canonical_form() -> None:
    built, _ = catalog(
        lists(
            "fs",
            resources=[resource("FILE:///srv/docs/%72eadme.md")],
            templates=[template("FILE:///srv/./{path}")],
        )
    )
    listed = built.get(Kind.RESOURCES, "file:///srv/docs/readme.md")
    produced = built.get(Kind.TEMPLATES, "file:///srv/{path}")
    assert listed is not None
    assert produced is not None
    # Clients see the upstream's own spelling; the policy and routing see the canonical one.
    assert (listed.item["uri"], listed.object) == (
        "FILE:///srv/docs/%72eadme.md",
        "fs/resources/file:///srv/docs/readme.md",
    )
    assert (produced.item["uriTemplate"], produced.object) == (
        "FILE:///srv/./{path}",
        "fs/resources/file:///srv/{path}",
    )
    assert built.route_resource("file:///srv/other.md") == "fs"


def test_a_listed_resource_whose_uri_has_no_canonical_form_is_not_offered() -> None:
    built, _ = catalog(lists("fs", resources=[resource("file:///srv/a%2Fb"), resource("file:///srv/ok")]))
    assert list(built.entries[Kind.RESOURCES]) == ["file:///srv/ok"]

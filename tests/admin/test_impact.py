"""`impact` lists, per known user and group, what a new policy adds and takes away."""

from __future__ import annotations

from authz_mcp.admin.identities import identity_for, known_identities
from authz_mcp.admin.impact import discovered, impact
from authz_mcp.proxy.catalog import Kind
from tests.admin.support import demo_catalog, engine

OLD = engine(
    "p, role:viewer, demo/tools/echo, call, allow",
    "p, role:viewer, demo/resources/demo://docs/*, read, allow",
    "p, role:finance, demo/resources/demo://finance/*, read, allow",
    "p, carol, web/tools/search, call, allow",
    "g, bob, role:viewer",
    "g, group:finance, role:finance",
)
NEW = engine(
    "p, role:viewer, demo/tools/echo, call, allow",
    "p, role:viewer, demo/tools/add, call, allow",
    "p, role:finance, demo/resources/demo://finance/*, read, allow",
    "p, carol, web/tools/search, call, allow",
    "g, bob, role:viewer",
    "g, group:finance, role:finance",
    "g, dave, role:viewer",
)


def test_known_identities_are_the_users_and_groups_either_policy_names_never_its_roles() -> None:
    names = [identity.subject for identity in known_identities((OLD, NEW))]
    assert names == ["bob", "carol", "dave", "group:finance"]


def test_each_identity_gains_and_loses_exactly_the_difference_of_its_two_views() -> None:
    changes = {
        change.identity.subject: (
            [(kind, entry.exposed) for kind, entry in change.gained],
            [(kind, entry.exposed) for kind, entry in change.lost],
        )
        for change in impact(OLD, NEW, demo_catalog(), known_identities((OLD, NEW)))
    }
    assert changes["bob"] == ([(Kind.TOOLS, "demo__add")], [(Kind.RESOURCES, "demo://docs/readme")])
    assert changes["dave"] == ([(Kind.TOOLS, "demo__echo"), (Kind.TOOLS, "demo__add")], [])
    assert changes["carol"] == ([], [])
    assert changes["group:finance"] == ([], [])


def test_discovered_is_what_a_user_with_those_groups_would_list() -> None:
    visible = discovered(demo_catalog(), NEW, identity_for("erin", ["group:finance", "eng"]))
    assert [entry.exposed for entry in visible[Kind.RESOURCES]] == ["demo://finance/payroll"]
    assert visible[Kind.TOOLS] == ()

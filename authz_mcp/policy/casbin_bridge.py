"""Where pycasbin enters: building enforcers from checked rules, translating its errors.

pycasbin ships no type hints, so its objects are `Any` here and narrowed by the
callers. Its failures surface as whatever the matcher's expression evaluator
(simpleeval) or casbin itself happens to raise; `CASBIN_ERRORS` lists those.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from typing import Any

import casbin
from casbin.persist import Adapter
from simpleeval import InvalidExpression  # type: ignore[import-untyped]

from authz_mcp.errors import ConfigError
from authz_mcp.policy.model_file import ModelSpec
from authz_mcp.policy.policy_file import Rule

CASBIN_ERRORS: tuple[type[Exception], ...] = (
    InvalidExpression,
    re.error,  # regexMatch and keyMatch2..5 compile policy fields as patterns
    SyntaxError,
    ArithmeticError,
    AttributeError,
    LookupError,
    RuntimeError,
    TypeError,
    ValueError,
)


class _RulesAdapter(Adapter):  # type: ignore[misc]  # pycasbin is untyped
    """Feeds already-split rules to casbin: one read of the file, so the rules casbin
    enforces are the ones whose lines we report (the file adapter would read again)."""

    def __init__(self, rules: Sequence[Rule], links: Sequence[tuple[str, str]]) -> None:
        self._rules = rules
        self._links = links

    def load_policy(self, model: Any) -> None:
        for rule in self._rules:
            model[rule.ptype[0]][rule.ptype].policy.append(list(rule.fields))
        for user, role in self._links:
            model["g"]["g"].policy.append([user, role])


def new_enforcer(model: ModelSpec, rules: Sequence[Rule], links: Iterable[tuple[str, str]] = ()) -> Any:
    """A casbin Enforcer over `rules`, plus extra `g` links (a user's groups)."""
    casbin_model = casbin.Model()
    casbin_model.load_model_from_text(model.text)
    try:
        return casbin.Enforcer(casbin_model, _RulesAdapter(rules, tuple(links)))
    except CASBIN_ERRORS as exc:
        raise ConfigError(f"{rules[0].source if rules else model.source}: casbin rejected it: {exc}") from exc


def check_matcher(model: ModelSpec, enforcer: Any) -> None:
    """Fail the load on a matcher that casbin would only trip over at request time.

    The expression is evaluated lazily and short-circuits, so an unknown name or
    function behind `&&` goes unnoticed until some request reaches it: check the
    names statically, then evaluate once for what only evaluation shows.
    """
    where = model.where("m")
    matcher = enforcer.model["m"]["m"].value
    # The same rewriting pycasbin applies before handing the text to simpleeval.
    python = re.sub(r"!(?!=)", "not ", matcher.replace("&&", " and ").replace("||", " or "))
    try:
        tree = ast.parse(python, mode="eval")
    except SyntaxError as exc:
        raise ConfigError(f"{where}: matcher is not a valid expression: {exc.msg}") from exc
    functions = set(enforcer.fm.get_functions()) | set(enforcer.model["g"]) | {"eval"}
    fields = {token for sec in "rp" for ast_ in enforcer.model[sec].values() for token in ast_.tokens}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in functions):
            raise ConfigError(f"{where}: unknown function in matcher: {ast.unparse(node.func)}")
        if isinstance(node, ast.Name) and node.id not in functions | fields:
            raise ConfigError(f"{where}: unknown name in matcher: {node.id.replace('_', '.', 1)}")
        if isinstance(node, ast.Name) and node.id == "timeMatch":
            raise ConfigError(f"{where}: timeMatch depends on the clock; decisions must not")
    try:
        enforcer.enforce("", "", "")
    except CASBIN_ERRORS as exc:
        raise ConfigError(f"{where}: matcher cannot be evaluated: {exc}") from exc


def roles_of(enforcer: Any, rules: Iterable[Rule]) -> dict[str, tuple[str, ...]]:
    """Direct roles of every name on the left of a `g` line, read from casbin's role manager.

    Only known names are asked: the default role manager creates an entry for every
    name it is asked about, so asking for arbitrary users would grow it without bound.
    """
    manager = enforcer.get_role_manager()
    names = {rule.fields[0] for rule in rules if rule.ptype == "g"}
    return {name: tuple(str(role) for role in manager.get_roles(name)) for name in names}


def max_role_depth(enforcer: Any) -> int:
    """How many `g` hops casbin's `g()` follows (`has_link` stops at this level)."""
    return int(enforcer.get_role_manager().max_hierarchy_level)

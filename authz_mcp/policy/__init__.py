"""Authorization: the Casbin policy contract of DESIGN §4, as a pure core.

`PolicyEngine.load(model_path, policy_path)` checks and compiles the files (a
ConfigError names file:line: reason); `engine.decider(subjects, scopes)` gives
an identity's `Decider`, whose `decide(obj, act)` returns a `Decision`;
`explain(engine, subjects, obj, act)` adds the matching rules and role chains;
`canonical_uri(uri)` is the one form of a resource URI that is decided on.
"""

from authz_mcp.policy.actions import CALL, GET, READ, prompt_object, resource_object, tool_object
from authz_mcp.policy.decider import NO_MATCH, OUTSIDE_SCOPES, Decider, Decision
from authz_mcp.policy.engine import PolicyEngine
from authz_mcp.policy.explain import Explanation, explain
from authz_mcp.policy.keymatch import KeyPattern, pattern_problem
from authz_mcp.policy.policy_file import Rule
from authz_mcp.policy.uri import UriRefusal, canonical_object, canonical_uri

__all__ = [
    "CALL",
    "GET",
    "NO_MATCH",
    "OUTSIDE_SCOPES",
    "READ",
    "Decider",
    "Decision",
    "Explanation",
    "KeyPattern",
    "PolicyEngine",
    "Rule",
    "UriRefusal",
    "canonical_object",
    "canonical_uri",
    "explain",
    "pattern_problem",
    "prompt_object",
    "resource_object",
    "tool_object",
]

"""The console's admin page, for whoever the policy allows `manage` on `authz-mcp/console`:
anyone's catalog, `policy explain` for any decision, the last decisions of the audit stream,
the policy's version and last reload, the upstreams' health. Read-only: lookups are GET
forms (no CSRF token in a URL), and each one is audited."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from authz_mcp.admin.explanation import explanation_lines
from authz_mcp.admin.identities import identity_for
from authz_mcp.auth.identity import Identity
from authz_mcp.console.views import catalog_of
from authz_mcp.policy import explain
from authz_mcp.policy.actions import ACTIONS, CONSOLE_OBJECT, MANAGE
from authz_mcp.proxy.gateway import Gateway
from authz_mcp.reload import ReloadStatus
from authz_mcp.tokens import iso_time

Render = Callable[..., Response]
MAX_FIELD = 1024
SHOWN_DECISIONS = 100


class AdminPages:
    def __init__(self, gateway: Gateway, policy_status: ReloadStatus | None) -> None:
        self.gateway = gateway
        self.policy_status = policy_status

    def is_admin(self, identity: Identity) -> bool:
        return self.gateway.policy.decider(identity.subjects).decide(CONSOLE_OBJECT, MANAGE).allowed

    async def page(self, request: Request, identity: Identity, render: Render) -> Response:
        decision = self.gateway.policy.decider(identity.subjects).decide(CONSOLE_OBJECT, MANAGE)
        if not decision.allowed:
            self._audit(identity, "console/admin", False, decision.reason, None)
            return render(
                request, "error.html", 403, user=identity, message="Only console admins may see this."
            )
        query = {key: value[:MAX_FIELD] for key, value in request.query_params.items()}
        context: dict[str, Any] = {
            "user": identity,
            "is_admin": True,
            "query": query,
            "actions": sorted(ACTIONS),
        }
        who = query.get("who", "").strip()
        groups = [group.strip() for group in query.get("groups", "").split(",") if group.strip()]
        if who:
            looked_up = identity_for(who, groups)
            context["looked_up"] = looked_up
            context["catalog"] = catalog_of(await self.gateway.view_for(looked_up))
            obj, action = query.get("object", "").strip(), query.get("action", "")
            if obj and action in ACTIONS:
                answer = explain(self.gateway.policy, looked_up.subjects, obj, action)
                context["explanation"] = "\n".join(explanation_lines(looked_up, action, answer))
            self._audit(identity, "console/admin/lookup", True, decision.reason, who)
        context["decisions"] = self._decisions(query.get("user", "").strip(), query.get("decision", ""))
        context["pid"] = os.getpid()
        context["policy_version"] = self.gateway.policy.version
        context["reload"] = self.policy_status.as_json() if self.policy_status is not None else None
        context["upstreams"] = {name: up.available for name, up in sorted(self.gateway.upstreams.items())}
        return render(request, "admin.html", **context)

    def _decisions(self, user: str, decision: str) -> list[dict[str, Any]]:
        shown: list[dict[str, Any]] = []
        for line in reversed(self.gateway.audit.recent):
            if (user and line.get("user") != user) or (
                decision in ("allow", "deny") and line["decision"] != decision
            ):
                continue
            shown.append({**line, "time": iso_time(line["ts"])})
            if len(shown) == SHOWN_DECISIONS:
                break
        return shown

    def _audit(self, identity: Identity, method: str, allowed: bool, reason: str, item: str | None) -> None:
        self.gateway.audit.record(
            identity=identity, session=None, method=method, allowed=allowed, reason=reason, item=item
        )

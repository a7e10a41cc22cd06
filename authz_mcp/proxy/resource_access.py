"""The decision on one resource URI a client named, taken on its canonical form.

Every method that names a resource (read, subscribe, unsubscribe, `subscriptions/listen`,
completion refs) goes through `resource_access`, so the policy, the catalog's routing, the
audit line and the upstream all see the same string (DESIGN §2). A URI with no canonical
form is refused like a missing resource; only the audit line says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authz_mcp.observability.audit import AuditLog
from authz_mcp.policy import Decision, UriRefusal, canonical_uri
from authz_mcp.proxy.catalog import Kind
from authz_mcp.proxy.context import Call
from authz_mcp.proxy.view import PermittedView

NO_SUCH_ITEM = "no such item"


@dataclass(frozen=True, slots=True)
class ResourceAccess:
    requested: str
    """The URI as the client wrote it."""
    canonical: str | None
    """What is authorized and forwarded; None when the URI has no canonical form."""
    upstream: str | None
    decision: Decision | None
    refusal: str | None = None

    @property
    def allowed(self) -> bool:
        return (
            self.canonical is not None
            and self.upstream is not None
            and bool(self.decision and self.decision.allowed)
        )

    @property
    def reason(self) -> str:
        if self.refusal is not None:
            return str(UriRefusal(self.refusal))
        return self.decision.reason if self.decision is not None else NO_SUCH_ITEM

    def audit(self, log: AuditLog, call: Call, started: float) -> None:
        extra: dict[str, Any] = {}
        if self.canonical is not None and self.canonical != self.requested:
            extra["requested"] = self.requested
        log.record(
            identity=call.identity,
            session=call.session_key,
            method=call.method,
            upstream=self.upstream,
            item=self.canonical if self.canonical is not None else self.requested,
            allowed=self.allowed,
            reason=self.reason,
            started=started,
            **extra,
        )


def resource_access(view: PermittedView, uri: str) -> ResourceAccess:
    canonical = canonical_uri(uri)
    if isinstance(canonical, UriRefusal):
        return ResourceAccess(uri, None, None, None, canonical.reason)
    upstream, decision = view.resource(canonical)
    return ResourceAccess(uri, canonical, upstream, decision)


def template_access(view: PermittedView, uri: str) -> ResourceAccess | None:
    """The access to the listed URI template that `uri` names (a completion ref), if it names one."""
    canonical = canonical_uri(uri, template=True)
    if isinstance(canonical, UriRefusal):
        return None
    entry, decision = view.lookup(Kind.TEMPLATES, canonical)
    if entry is None:
        return None
    return ResourceAccess(uri, canonical, entry.upstream, decision)

"""Rate limits at the two points a request counts: each HTTP request, each forward upstream."""

from __future__ import annotations

from typing import NoReturn

from authz_mcp.auth.identity import Identity
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.observability.audit import AuditLog
from authz_mcp.observability.metrics import Metrics
from authz_mcp.proxy.context import Call
from authz_mcp.ratelimit import RateLimits, Refusal


class Admission:
    def __init__(self, limits: RateLimits, metrics: Metrics, audit: AuditLog) -> None:
        self.limits = limits
        self._metrics = metrics
        self._audit = audit

    async def admit(self, identity: Identity, session: str | None, method: str) -> None:
        """Count one HTTP request against the user's limit; RateLimited (429) when over it."""
        if self.limits.enabled:
            refusal = await self.limits.check_user(identity.key)
            if refusal is not None:
                self._refuse(refusal, identity, session, method, None, None)

    async def admit_forward(self, call: Call, upstream: str, method: str, params: JSONObject) -> None:
        """Count one request sent upstream against the per-upstream and per-tool limits."""
        if self.limits.enabled:
            name = params.get("name")
            refusal = await self.limits.check_forward(
                call.identity.key, upstream, method, name if isinstance(name, str) else None
            )
            if refusal is not None:
                call.decision = "rate_limited"
                self._refuse(refusal, call.identity, call.session_key, method, upstream, name)

    def _refuse(
        self,
        refusal: Refusal,
        identity: Identity,
        session: str | None,
        method: str,
        upstream: str | None,
        item: object,
    ) -> NoReturn:
        self._metrics.rate_limited.labels(refusal.limit).inc()
        self._audit.record(
            identity=identity,
            session=session,
            method=method,
            upstream=upstream,
            item=item if isinstance(item, str) else None,
            allowed=False,
            reason=f"rate limit: {refusal.rule}",
            retry_after=refusal.error.retry_after,
        )
        raise refusal.error

"""The proxy core: sessions, permitted views and routing to upstreams.

The HTTP layer authenticates and hands each JSON-RPC message to the gateway's `Entry`
(`entry.py`), which serves it through its `Dispatcher`. The gateway builds each family of method handlers
(`methods/`) with the collaborators that family uses, and their table.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections import Counter
from collections.abc import Mapping
from functools import partial

import anyio
from anyio.abc import TaskGroup

from authz_mcp.auth.identity import Identity
from authz_mcp.config import Config
from authz_mcp.discovery import IndexCache, check_reserved
from authz_mcp.errors import SessionNotFound
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.observability.audit import AuditLog
from authz_mcp.observability.metrics import Metrics
from authz_mcp.observability.tracing import Tracing
from authz_mcp.policy import PolicyEngine
from authz_mcp.proxy.admission import Admission
from authz_mcp.proxy.bridge import Bridge
from authz_mcp.proxy.capsets import NO_CAPABILITIES, Capset
from authz_mcp.proxy.catalog import Catalog, Kind
from authz_mcp.proxy.catalog_manager import CatalogManager
from authz_mcp.proxy.channel import ChannelServices
from authz_mcp.proxy.cursor import CursorCodec
from authz_mcp.proxy.dispatch import Dispatcher, method_tables
from authz_mcp.proxy.entry import Entry
from authz_mcp.proxy.methods.discovery import Discovery
from authz_mcp.proxy.methods.invoke import Invoke
from authz_mcp.proxy.methods.lifecycle import Lifecycle
from authz_mcp.proxy.methods.listing import Listing
from authz_mcp.proxy.methods.modern import Modern
from authz_mcp.proxy.mrtr import RequestStateCodec
from authz_mcp.proxy.notifications import NotificationRouter, listen_quietly
from authz_mcp.proxy.parked import ParkedExchanges
from authz_mcp.proxy.refresher import CatalogRefresher
from authz_mcp.proxy.relay import InFlight, PendingClientRequests
from authz_mcp.proxy.view import PermittedView, ViewCache
from authz_mcp.ratelimit import RateLimits
from authz_mcp.sessions import SessionRecord, SessionStore, is_principal_session_id
from authz_mcp.upstream.base import SHARED_SESSION, Upstream, is_shared

logger = logging.getLogger(__name__)


class Gateway:
    def __init__(
        self,
        config: Config,
        policy: PolicyEngine,
        store: SessionStore,
        upstreams: Mapping[str, Upstream],
        audit: AuditLog,
        *,
        secret_key: bytes | None = None,
        metrics: Metrics | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        self.config = config
        self.metrics = metrics if metrics is not None else Metrics()
        self.tracing = tracing if tracing is not None else Tracing(config.tracing)
        self.limits = RateLimits(config.limits, config.store)
        self.policy = policy
        self.store = store
        self.upstreams = dict(upstreams)
        self.audit = audit
        key = secret_key or secrets.token_bytes(32)
        self.cursors = CursorCodec(key)
        self.request_states = RequestStateCodec(key)
        prefixes = {name: cfg.name_prefix(name) for name, cfg in config.upstreams.items()}
        self.catalogs = CatalogManager(self.upstreams, prefixes, config.server.upstream_timeout_seconds)
        self.refresher = CatalogRefresher(self.upstreams, self._refresh_upstream, self.catalogs.failing)
        self.views = ViewCache()
        self.search_index = IndexCache()
        self.pending = PendingClientRequests()
        self.inflight = InFlight()
        timeouts = {
            name: cfg.timeout_seconds or config.server.upstream_timeout_seconds
            for name, cfg in config.upstreams.items()
        }
        self.notifications = NotificationRouter(
            self.upstreams, timeouts, self.pending, self.view_now, self.refresher.request
        )
        # Sessionless (2026-07-28) clients: MRTR exchanges parked for legacy upstreams,
        # and open subscriptions/listen streams per principal (both bounded).
        self.exchanges = ParkedExchanges(self.request_states)
        self.listen_streams: Counter[str] = Counter()
        self.admission = Admission(self.limits, self.metrics, audit)
        self.bridge = Bridge(
            self.upstreams,
            timeouts,
            store,
            self.notifications,
            self.pending,
            self.request_states,
            self.exchanges,
            self.admission,
            self.metrics,
        )
        for upstream in self.upstreams.values():
            upstream.set_unsolicited_handler(self.notifications.handler_for(upstream.name))
        self.dispatcher = self._dispatcher()
        self.entry = Entry(
            self.dispatcher, self.admission, self.resolve_session, self.pending, self.store, self.view_for
        )
        self.channels = ChannelServices(
            self.dispatcher,
            self.pending,
            self.notifications,
            self.store,
            self.resolve_session,
            self.end_session,
        )

    def _dispatcher(self) -> Dispatcher:
        """The method handlers, each family given what it uses, in the dispatch table."""
        views = self.view_for
        listing = Listing(views, self.cursors, self.audit)
        invoke = Invoke(views, self.bridge, self.audit, self.store, self.notifications)
        methods, modern_methods = method_tables(
            Lifecycle(self.upstreams, self.create_session, self.store, self.bridge),
            listing,
            invoke,
            Discovery(
                self.config.discovery, views, self.cursors, self.search_index, self.audit, listing, invoke
            ),
            Modern(self.upstreams, views, self.audit, self.bridge, self.notifications, self.listen_streams),
        )
        return Dispatcher(
            methods,
            modern_methods,
            upstreams=self.upstreams,
            inflight=self.inflight,
            metrics=self.metrics,
            tracing=self.tracing,
            trace_user=self.config.tracing.include_user,
        )

    # --- lifecycle ---------------------------------------------------------------

    async def start(self, background: TaskGroup, *, strict: bool = True) -> None:
        """Start every upstream, and in `background` the task that owns each one's catalog
        refreshes; return once the available ones' lists are fetched.

        `strict`: a tool or prompt name exposed by two upstreams, or a tool named like one
        of the gateway's own search-mode tools, is a startup error.
        """
        async with anyio.create_task_group() as group:
            for upstream in self.upstreams.values():
                group.start_soon(upstream.start)
        self.refresher.run_in(background)
        async with anyio.create_task_group() as group:
            for name, upstream in self.upstreams.items():
                if upstream.available:
                    group.start_soon(self.refresher.refreshed, name)
        self.catalogs.build(strict=strict)
        if strict:
            tools = self.catalogs.catalog.entries[Kind.TOOLS].values()
            check_reserved({entry.exposed: entry.upstream for entry in tools})

    def upstream_eras(self) -> dict[str, str]:
        """Each connected upstream's era: "legacy", "modern", or "both" where each client is
        served in its own (`Upstream.era_for`)."""
        eras: dict[str, str] = {}
        for name, upstream in self.upstreams.items():
            legacy, modern = upstream.era_for(legacy_client=True), upstream.era_for(legacy_client=False)
            if legacy is not None and modern is not None:
                eras[name] = "both" if legacy is not modern else modern.value
        return eras

    def listen(self, background: TaskGroup) -> None:
        """Listen to the gateway's own upstream sessions, so list changes refresh the
        catalog even while no client has a stream open."""
        for upstream in self.upstreams.values():
            background.start_soon(listen_quietly, upstream, SHARED_SESSION)
        self.exchanges.run_in(background)

    async def _refresh_upstream(self, name: str, kinds: tuple[Kind, ...]) -> None:
        await self.notifications.changes.around_change(kinds, partial(self.catalogs.refresh, name))

    async def aclose(self) -> None:
        with anyio.CancelScope(shield=True):
            for upstream in self.upstreams.values():
                await upstream.aclose()

    async def replace_policy(self, policy: PolicyEngine) -> None:
        """Swap in a new policy and tell each listening client whose view changed.

        Views are keyed by the policy's version, so none is reused; a request that
        already holds a view finishes under the policy it started with.
        """

        async def swap() -> bool:
            changed = policy.version != self.policy.version
            self.policy = policy
            return changed

        await self.notifications.changes.around_change(tuple(Kind), swap)

    # --- sessions ----------------------------------------------------------------

    async def resolve_session(self, session_id: str, identity: Identity) -> SessionRecord:
        """The session, if it exists and belongs to `identity`.

        Unknown, expired and another user's sessions all answer 404, so a session id
        reveals nothing and is never proof of identity (DESIGN §3).
        """
        # A principal's record is kept for sessionless clients, never handed out as a session.
        record = None if is_principal_session_id(session_id) else await self.store.get(session_id)
        if record is None or not hmac.compare_digest(record.owner.encode(), identity.key.encode()):
            raise SessionNotFound()
        return record

    async def create_session(
        self, identity: Identity, protocol_version: str, client_info: JSONObject, capabilities: JSONObject
    ) -> SessionRecord:
        record = SessionRecord(
            session_id=secrets.token_urlsafe(32),
            owner=identity.key,
            protocol_version=protocol_version,
            client_info=client_info,
            client_capabilities=capabilities,
            created_at=time.time(),
            upstream_sessions={},
        )
        await self.store.create(record)
        self.metrics.sessions_opened.inc()
        return record

    async def end_session(self, record: SessionRecord) -> None:
        await self.notifications.forget_session(record)
        for name, handle in record.upstream_sessions.items():
            upstream = self.upstreams.get(name)
            if upstream is not None and not is_shared(handle):
                try:
                    await upstream.close_session(handle)
                except Exception:  # boundary: a failing upstream must not keep a session alive
                    logger.warning("upstream %s: closing session failed", name, exc_info=True)
        await self.store.delete(record.session_id)

    # --- views -------------------------------------------------------------------

    async def catalog(self, capset: Capset = NO_CAPABILITIES) -> Catalog:
        """The catalog of clients declaring `capset`, once upstreams that (re)connected since
        their last fetch are refetched, and once it was first fetched for this set."""
        for name in self.catalogs.stale():
            await self.refresher.refreshed(name)
        ready, first = self.catalogs.use(capset)
        if first:
            # Shielded: other requests wait on `ready`, whatever becomes of this one.
            with anyio.CancelScope(shield=True):
                async with anyio.create_task_group() as group:
                    for name, upstream in self.upstreams.items():
                        if upstream.available:
                            group.start_soon(self.refresher.refreshed, name)
                ready.set()
        if not ready.is_set():  # anyio's wait on a set event still yields to the loop
            await ready.wait()
        return self.catalogs.catalog_for(capset)

    async def view_for(self, identity: Identity, capset: Capset = NO_CAPABILITIES) -> PermittedView:
        """The identity's view for a client declaring `capset`, on a current catalog (`catalog`)."""
        return self.views.get(await self.catalog(capset), self.policy, identity)

    def view_now(self, identity: Identity, capset: Capset = NO_CAPABILITIES) -> PermittedView:
        """The identity's view of the catalog as it stands, without waiting for any refresh:
        for the paths that run inside a refresh or deliver an upstream's notifications."""
        return self.views.get(self.catalogs.catalog_for(capset), self.policy, identity)

    # --- rate limits ---------------------------------------------------------------

    async def admit(self, identity: Identity, session: str | None, method: str) -> None:
        """Count one HTTP request against the user's limit; RateLimited (429) when over it."""
        await self.admission.admit(identity, session, method)

"""The web console, mounted at `/console` when `console:` is configured.

Pages are rendered on the server; the one script (the copy button) is a static file, so the
Content-Security-Policy forbids inline script. Every state change is a POST carrying the
session's CSRF token, and is audited.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from authz_mcp.auth.identity import Identity
from authz_mcp.config.console import ConsoleConfig
from authz_mcp.console.admin import AdminPages
from authz_mcp.console.security import SecurityHeaders, checked_form, csrf_token
from authz_mcp.console.signin import SignIn, SignInFailed
from authz_mcp.console.tokens import TokenPages
from authz_mcp.console.views import catalog_of
from authz_mcp.proxy.gateway import Gateway
from authz_mcp.reload import ReloadStatus
from authz_mcp.tokens import TokenService

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
PREFIX = "/console"
COOKIE = "authz_mcp_console"


def console_app(
    gateway: Gateway,
    tokens: TokenService | None,
    console: ConsoleConfig,
    policy_status: ReloadStatus | None = None,
) -> Starlette:
    config = gateway.config
    base = config.server.base_url
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    signin = SignIn(config, console)
    token_pages = TokenPages(gateway, tokens, templates) if tokens is not None else None
    admin_pages = AdminPages(gateway, policy_status)

    def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        context |= {"csrf": csrf_token(request.session), "prefix": PREFIX, "token_pages": token_pages}
        return templates.TemplateResponse(request, name, context, status_code=status)

    def audit(identity: Identity | None, method: str, allowed: bool, reason: str) -> None:
        gateway.audit.record(identity=identity, session=None, method=method, allowed=allowed, reason=reason)

    async def home(request: Request) -> Response:
        identity = signin.identity(request.session)
        if identity is None:
            return render(request, "signin.html")
        view = await gateway.view_for(identity)
        owned = await token_pages.listed(identity) if token_pages is not None else []
        return render(
            request,
            "home.html",
            user=identity,
            is_admin=admin_pages.is_admin(identity),
            catalog=catalog_of(view),
            tokens=owned,
        )

    async def admin(request: Request) -> Response:
        identity = signin.identity(request.session)
        if identity is None:
            return RedirectResponse(f"{PREFIX}/", status_code=303)
        return await admin_pages.page(request, identity, render)

    async def login(request: Request) -> Response:
        try:
            return await signin.redirect(request, f"{base}{PREFIX}/callback")  # type: ignore[no-any-return]
        except (httpx.HTTPError, ValueError, KeyError):  # its discovery is unreachable or unusable
            logger.exception("console sign-in: the identity provider could not be reached")
            return render(request, "error.html", 502, message="The identity provider cannot be reached.")

    async def callback(request: Request) -> Response:
        try:
            user = await signin.complete(request)
        except SignInFailed as exc:
            logger.warning("console sign-in refused: %s", exc)
            audit(None, "console/signin", False, str(exc))
            return render(request, "error.html", 400, message="Sign-in failed.")
        # A new session on sign-in: nothing an attacker planted before it carries over.
        request.session.clear()
        request.session["user"] = user
        identity = signin.identity(request.session)
        audit(identity, "console/signin", True, "signed in")
        return RedirectResponse(f"{PREFIX}/", status_code=303)

    async def logout(request: Request) -> Response:
        if await checked_form(request) is None:
            return render(request, "error.html", 403, message="The form has expired; reload and retry.")
        audit(signin.identity(request.session), "console/signout", True, "signed out")
        request.session.clear()
        return RedirectResponse(f"{PREFIX}/", status_code=303)

    async def create_token(request: Request) -> Response:
        identity = signin.identity(request.session)
        form = await checked_form(request)
        if identity is None or token_pages is None:
            return render(request, "error.html", 403, message="Sign in first.")
        if form is None:
            return render(request, "error.html", 403, message="The form has expired; reload and retry.")
        return await token_pages.create(request, identity, form, render)

    async def revoke_token(request: Request) -> Response:
        identity = signin.identity(request.session)
        form = await checked_form(request)
        if identity is None or token_pages is None:
            return render(request, "error.html", 403, message="Sign in first.")
        if form is None:
            return render(request, "error.html", 403, message="The form has expired; reload and retry.")
        await token_pages.revoke(identity, request.path_params["token_id"])
        return RedirectResponse(f"{PREFIX}/", status_code=303)

    routes = [
        Route("/", home, methods=["GET"]),
        Route("/admin", admin, methods=["GET"]),
        Route("/login", login, methods=["GET"]),
        Route("/callback", callback, methods=["GET"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/tokens", create_token, methods=["POST"]),
        Route("/tokens/{token_id}/revoke", revoke_token, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=_session_key(config.server.secret_key),
                session_cookie=COOKIE,
                max_age=console.session_seconds,
                path=PREFIX,
                same_site="lax",
                https_only=not _is_loopback(base),
            ),
        ],
    )


def _session_key(secret_key: str | None) -> str:
    if secret_key is None:
        # Each process draws its own: sign-ins last until a restart, on this replica only.
        return secrets.token_urlsafe(32)
    # A key of its own, derived so that a cookie signature says nothing of the cursor MAC key.
    return hashlib.sha256(b"authz-mcp console session\x00" + secret_key.encode()).hexdigest()


def _is_loopback(base_url: str) -> bool:
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

"""The console's browser protections: response headers, the CSRF check, form parsing.

The Content-Security-Policy allows scripts and styles from the gateway itself only, so no inline
script runs even if a page were to echo one. CSRF tokens are bound to the session (OWASP's
synchronizer token pattern) and compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from urllib.parse import parse_qsl

from starlette.requests import Request

from authz_mcp.http.asgi import Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    b"content-security-policy": CONTENT_SECURITY_POLICY.encode(),
    b"x-content-type-options": b"nosniff",
    # Not no-referrer: with it Chromium sends `Origin: null` on form posts, which the gateway's
    # Origin check (rightly) refuses; same-origin still tells other sites nothing.
    b"referrer-policy": b"same-origin",
    b"x-frame-options": b"DENY",
}
MAX_FORM_BYTES = 16 * 1024


class SecurityHeaders:
    """Adds the headers above to every console response; pages are never cached (they show a
    user's catalog and, once, a new token)."""

    def __init__(self, app: object) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in HEADERS]
                headers += list(HEADERS.items())
                if not scope["path"].endswith((".js", ".css")):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)  # type: ignore[operator]


def csrf_token(session: dict[str, object]) -> str:
    """The session's CSRF token, made on first use."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


async def checked_form(request: Request) -> Mapping[str, list[str]] | None:
    """The posted form if it carries the session's CSRF token; None otherwise (the caller
    refuses with 403). Parsed here: a urlencoded body needs no extra dependency."""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        return None
    form: dict[str, list[str]] = {}
    for key, value in pairs:
        form.setdefault(key, []).append(value)
    expected = request.session.get("csrf")
    given = form.get("csrf", [""])[0]
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), given.encode()):
        return None
    return form

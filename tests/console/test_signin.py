"""Signing in to the console at the real OIDC provider: PKCE, the session cookie's flags, the
Content-Security-Policy, CSRF on every form, signing out."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from authz_mcp.console.security import CONTENT_SECURITY_POLICY
from tests.console.conftest import TIMEOUT, ConsoleSetup, console_gateway_config, csrf_of, sign_in
from tests.support.gateway import free_port, running_gateway


def test_console_pages_carry_a_strict_content_security_policy(console_setup: ConsoleSetup) -> None:
    page = httpx.get(f"{console_setup.console}/", timeout=TIMEOUT)

    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    assert "<script>" not in page.text
    assert 'href="/console/login"' in page.text


def test_sign_in_starts_an_authorization_code_flow_with_pkce(console_setup: ConsoleSetup) -> None:
    started = httpx.get(f"{console_setup.console}/login", timeout=TIMEOUT)

    assert started.status_code == 302
    location = urlsplit(started.headers["location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}" == console_setup.provider.issuer
    assert query["response_type"] == ["code"]
    assert query["client_id"] == ["console"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["redirect_uri"] == [f"{console_setup.console}/callback"]
    assert "nonce" in query
    assert "state" in query


def test_session_cookie_is_httponly_lax_scoped_to_the_console_and_bounded(
    console_setup: ConsoleSetup,
) -> None:
    started = httpx.get(f"{console_setup.console}/login", timeout=TIMEOUT)

    cookie = started.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert cookie.startswith("authz_mcp_console=")
    assert {"httponly", "path", "max-age"} <= attributes
    assert "samesite=lax" in cookie.lower()
    assert "path=/console" in cookie.lower()
    assert "max-age=28800" in cookie.lower()
    # Plain http on loopback: a Secure cookie would never come back.
    assert "secure" not in attributes


def test_user_signs_in_at_the_provider_and_out_again(console_setup: ConsoleSetup) -> None:
    with sign_in(console_setup, "bob") as browser:
        home = browser.get(f"{console_setup.console}/")
        assert '<span class="who">bob</span>' in home.text

        out = browser.post(f"{console_setup.console}/logout", data={"csrf": csrf_of(home)})

        assert out.status_code == 200
        assert 'href="/console/login"' in out.text
        assert "bob" not in browser.get(f"{console_setup.console}/").text
    signins = [line for line in console_setup.gateway.audit() if line["method"] == "console/signin"]
    assert signins[-1]["user"] == "bob"
    assert signins[-1]["decision"] == "allow"


def test_forms_without_the_sessions_csrf_token_are_refused(console_setup: ConsoleSetup) -> None:
    # Carol, whom no test of the folder's shared console gives a token: none may show below.
    with sign_in(console_setup, "carol") as browser:
        home = browser.get(f"{console_setup.console}/")
        for fields in ({}, {"csrf": "forged"}, {"csrf": csrf_of(home) + "x"}):
            refused = browser.post(f"{console_setup.console}/tokens", data={**fields, "name": "x"})
            assert refused.status_code == 403
            out = browser.post(f"{console_setup.console}/logout", data=fields)
            assert out.status_code == 403
        assert '<span class="who">carol</span>' in browser.get(f"{console_setup.console}/").text
        assert "data-token-id" not in browser.get(f"{console_setup.console}/").text


def test_a_callback_not_started_here_signs_nobody_in(console_setup: ConsoleSetup) -> None:
    with httpx.Client(timeout=TIMEOUT) as browser:
        answer = browser.get(f"{console_setup.console}/callback", params={"code": "x", "state": "y"})

        assert answer.status_code == 400
        assert 'class="who"' not in browser.get(f"{console_setup.console}/").text


def test_session_cookie_is_secure_when_the_gateway_is_not_on_loopback(
    console_setup: ConsoleSetup, tmp_path: Path
) -> None:
    port = free_port()
    config = console_gateway_config(tmp_path, port, console_setup.provider)
    config["server"] = {**config["server"], "public_url": "https://gateway.example"}  # type: ignore[dict-item]
    with running_gateway(config, tmp_path) as gateway:
        started = httpx.get(
            f"{gateway.base_url}/console/login", headers={"Host": "gateway.example"}, timeout=TIMEOUT
        )

    assert started.status_code == 302
    assert "redirect_uri=https%3A%2F%2Fgateway.example%2Fconsole%2Fcallback" in started.headers["location"]
    attributes = {part.strip().lower() for part in started.headers["set-cookie"].split(";")}
    assert {"secure", "httponly", "samesite=lax"} <= attributes

"""JWT forgery: every token the issuer did not sign as it is, for this gateway, now, is refused
with the same 401 and the same body; the few legitimate variants are accepted."""

from __future__ import annotations

import base64
import functools
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from authz_mcp.auth.devissuer import DevIssuer
from tests.auth.tokens import hs256_token, unsigned_token
from tests.security.conftest import INVALID_TOKEN_BODY, MODULE_TIMEOUT, Target, assert_no_leaks
from tests.support.raw import ACCEPT
from tests.support.raw import INITIALIZE as INIT

pytestmark = pytest.mark.timeout(MODULE_TIMEOUT)

Forge = Callable[[Target], str]
"""Builds the Authorization header value (a bearer token, usually) against the target."""

ANONYMOUS_BODY = {
    "jsonrpc": "2.0",
    "id": None,
    "error": {"code": -32600, "message": "Authentication required"},
}
LEEWAY = 30


@functools.cache
def impostor(issuer_url: str, kid: str) -> DevIssuer:
    """An attacker's key pair, under the real issuer's URL and key id."""
    return DevIssuer.generate(issuer_url, kid=kid)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(t: Target, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": t.issuer.url,
        "sub": "mallory",
        "aud": t.url,
        "iat": now,
        "exp": now + 600,
    }
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def real(t: Target, **changes: Any) -> str:
    """Signed by the real key: the issuer's own token, with these claims."""
    return bearer(t.issuer.issuer.sign(json.dumps(_claims(t, **changes)).encode(), {}))


def real_with_header(t: Target, header: dict[str, Any], **changes: Any) -> str:
    return bearer(t.issuer.issuer.sign(json.dumps(_claims(t, **changes)).encode(), header))


def fake(t: Target, header: dict[str, Any] | None = None, **changes: Any) -> str:
    """Signed by the attacker's key, under the real kid unless `header` says otherwise."""
    attacker = impostor(t.issuer.url, t.issuer.issuer.kid)
    return bearer(attacker.sign(json.dumps(_claims(t, **changes)).encode(), header or {}))


def unsigned(t: Target, header: dict[str, Any], signature: bytes = b"") -> str:
    return bearer(unsigned_token(header, _claims(t), signature))


def hmac_with(t: Target, alg: str, secret: bytes) -> str:
    header = {"alg": alg, "typ": "JWT", "kid": t.issuer.issuer.kid}
    token = hs256_token(header, _claims(t), secret)
    if alg == "HS256":
        return bearer(token)
    import hashlib
    import hmac

    digest = {"HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    signing_input = token.rsplit(".", 1)[0]
    return bearer(f"{signing_input}.{_b64(hmac.new(secret, signing_input.encode(), digest).digest())}")


def raw_payload(t: Target, payload: str, *, attacker: bool = False) -> str:
    signer = impostor(t.issuer.url, t.issuer.issuer.kid) if attacker else t.issuer.issuer
    return bearer(signer.sign(payload.encode(), {}))


def bearer(token: str) -> str:
    return f"Bearer {token}"


def _jwk_n(t: Target) -> bytes:
    return str(t.issuer.issuer.jwks()["keys"][0]["n"]).encode()


def _spliced(t: Target) -> str:
    mine = real(t).split(" ", 1)[1].split(".")
    theirs = real(t, sub="alice").split(" ", 1)[1].split(".")
    return bearer(f"{mine[0]}.{theirs[1]}.{mine[2]}")


def _payload_swapped(t: Target) -> str:
    header, _, signature = real(t).split(" ", 1)[1].split(".")
    payload = _b64(json.dumps(_claims(t, sub="alice")).encode())
    return bearer(f"{header}.{payload}.{signature}")


def _attacker_jwk(t: Target) -> dict[str, Any]:
    jwk: dict[str, Any] = impostor(t.issuer.url, t.issuer.issuer.kid).jwks()["keys"][0]
    return jwk


FORGED: dict[str, Forge] = {
    # alg confusion and `none`
    "alg none": lambda t: unsigned(t, {"alg": "none", "kid": t.issuer.issuer.kid}),
    "alg None": lambda t: unsigned(t, {"alg": "None", "kid": t.issuer.issuer.kid}),
    "alg NONE": lambda t: unsigned(t, {"alg": "NONE", "kid": t.issuer.issuer.kid}),
    "alg nOnE with a signature": lambda t: unsigned(t, {"alg": "nOnE", "kid": t.issuer.issuer.kid}, b"sig"),
    "no alg": lambda t: unsigned(t, {"typ": "JWT", "kid": t.issuer.issuer.kid}, b"sig"),
    "alg as a list": lambda t: unsigned(t, {"alg": ["RS256"], "kid": t.issuer.issuer.kid}, b"sig"),
    "HS256 keyed with the public key": lambda t: hmac_with(t, "HS256", t.issuer.issuer.public_key_pem()),
    "HS384 keyed with the public key": lambda t: hmac_with(t, "HS384", t.issuer.issuer.public_key_pem()),
    "HS512 keyed with the public key": lambda t: hmac_with(t, "HS512", t.issuer.issuer.public_key_pem()),
    "HS256 keyed with the JWK modulus": lambda t: hmac_with(t, "HS256", _jwk_n(t)),
    "HS256 keyed with the JWKS document": lambda t: hmac_with(
        t, "HS256", json.dumps(t.issuer.issuer.jwks()).encode()
    ),
    "RS384 by the real key, not allowed": lambda t: bearer(
        t.issuer.issuer.mint("mallory", audience=t.url, algorithm="RS384")
    ),
    "PS256 by the real key, not allowed": lambda t: bearer(
        t.issuer.issuer.mint("mallory", audience=t.url, algorithm="PS256")
    ),
    "ES256 header, garbage signature": lambda t: unsigned(
        t, {"alg": "ES256", "kid": t.issuer.issuer.kid}, b"\x01" * 64
    ),
    "signature stripped": lambda t: bearer(real(t).split(" ", 1)[1].rsplit(".", 1)[0] + "."),
    "two segments": lambda t: bearer(real(t).split(" ", 1)[1].rsplit(".", 1)[0]),
    "header of one token, payload of another": _spliced,
    "payload swapped, signature kept": _payload_swapped,
    "signed by another key under the real kid": lambda t: fake(t),
    # keys the token brings along
    "jku to the attacker's key set": lambda t: fake(
        t, {"jku": "http://127.0.0.1:9/jwks.json", "kid": "evil"}
    ),
    "jku with the real kid": lambda t: fake(t, {"jku": "http://127.0.0.1:9/jwks.json"}),
    "x5u to the attacker's certificate": lambda t: fake(t, {"x5u": "http://127.0.0.1:9/cert.pem"}),
    "embedded jwk of the attacker": lambda t: fake(t, {"jwk": _attacker_jwk(t), "kid": "evil"}),
    "embedded jwk under the real kid": lambda t: fake(t, {"jwk": _attacker_jwk(t)}),
    "embedded x5c chain": lambda t: fake(t, {"x5c": [base64.b64encode(b"not a certificate").decode()]}),
    # kid tricks
    "kid path traversal": lambda t: fake(t, {"kid": "../../../../../../dev/null"}),
    "kid SQL injection": lambda t: fake(t, {"kid": "' OR '1'='1"}),
    "kid empty, real key": lambda t: real_with_header(t, {"kid": ""}),
    "kid an integer": lambda t: unsigned(t, {"alg": "RS256", "kid": 1}, b"sig"),
    "kid a list": lambda t: unsigned(t, {"alg": "RS256", "kid": [t.issuer.issuer.kid]}, b"sig"),
    "kid absent, attacker's key": lambda t: fake(t, {"kid": None}),
    "kid 10k characters": lambda t: fake(t, {"kid": "k" * 10_000}),
    "kid with NUL": lambda t: fake(t, {"kid": t.issuer.issuer.kid + "\x00"}),
    "kid with a newline": lambda t: fake(t, {"kid": "a\nb"}),
    # claim types and duplicates
    "sub an integer": lambda t: real(t, sub=42),
    "sub a list": lambda t: real(t, sub=["alice"]),
    "sub empty": lambda t: real(t, sub=""),
    "sub absent": lambda t: real(t, sub=None),
    "sub an object": lambda t: real(t, sub={"id": "alice"}),
    "sub a group": lambda t: real(t, sub="group:finance"),
    "sub a role": lambda t: real(t, sub="role:tokens-admin"),
    "groups an integer": lambda t: real(t, groups=7),
    "groups with an integer": lambda t: real(t, groups=["finance", 1]),
    "groups an object": lambda t: real(t, groups={"finance": True}),
    "aud an integer": lambda t: real(t, aud=1),
    "iss a list": lambda t: real(t, iss=[t.issuer.url]),
    "exp a string": lambda t: real(t, exp=str(int(time.time()) + 600)),
    "exp true": lambda t: real(t, exp=True),
    "nbf a string": lambda t: real(t, nbf="0"),
    "iat a string": lambda t: real(t, iat="now"),
    "scope an integer": lambda t: real(t, scope=1),
    "duplicate iss, attacker's key": lambda t: raw_payload(
        t,
        f'{{"iss":"https://evil.example","iss":"{t.issuer.url}","sub":"mallory","aud":"{t.url}",'
        f'"exp":{int(time.time()) + 600}}}',
        attacker=True,
    ),
    "duplicate alg: none last": lambda t: bearer(
        _b64(b'{"alg":"RS256","alg":"none"}') + "." + _b64(json.dumps(_claims(t)).encode()) + "."
    ),
    "payload not JSON": lambda t: raw_payload(t, "not json"),
    "payload a JSON array": lambda t: raw_payload(t, '["mallory"]'),
    "payload deeply nested": lambda t: raw_payload(
        t, '{"sub":"mallory","x":' + "[" * 5000 + "]" * 5000 + "}"
    ),
    # time
    "expired an hour ago": lambda t: real(t, exp=int(time.time()) - 3600),
    "expired just beyond the leeway": lambda t: real(t, exp=int(time.time()) - LEEWAY - 60),
    "not valid for an hour": lambda t: real(t, nbf=int(time.time()) + 3600),
    "issued an hour in the future": lambda t: real(t, iat=int(time.time()) + 3600),
    "no exp": lambda t: real(t, exp=None),
    "exp zero": lambda t: real(t, exp=0),
    "exp negative": lambda t: real(t, exp=-1),
    # audience and issuer
    "aud the base URL": lambda t: real(t, aud=t.gateway.base_url),
    "aud with a trailing slash": lambda t: real(t, aud=t.url + "/"),
    "aud in upper case": lambda t: real(t, aud=t.url.upper()),
    "aud another resource": lambda t: real(t, aud="https://other.example/mcp"),
    "aud an empty list": lambda t: real(t, aud=[]),
    "aud absent": lambda t: real(t, aud=None),
    "aud as a prefix": lambda t: real(t, aud=t.url[:-1]),
    "iss with a trailing slash": lambda t: real(t, iss=t.issuer.url + "/"),
    "iss in upper case": lambda t: real(t, iss=t.issuer.url.upper()),
    "iss https": lambda t: real(t, iss=t.issuer.url.replace("http://", "https://")),
    "iss absent": lambda t: real(t, iss=None),
    "iss another issuer": lambda t: bearer(
        DevIssuer.generate("https://evil.example", kid=t.issuer.issuer.kid).mint("mallory", audience=t.url)
    ),
    # size
    "token over 16 KiB": lambda t: real(t, padding="p" * 17_000),
    # Authorization header variants
    "Bearer without a token": lambda t: "Bearer",
    "two tokens": lambda t: real(t) + " " + real(t).split(" ", 1)[1],
    "tab instead of space": lambda t: "Bearer\t" + real(t).split(" ", 1)[1],
    "trailing comma": lambda t: real(t) + ",",
    "token quoted": lambda t: 'Bearer "' + real(t).split(" ", 1)[1] + '"',
    "non-ASCII token": lambda t: "Bearer tökén",
    "random base64url": lambda t: "Bearer " + _b64(b"\x00" * 300),
}

ACCEPTED: dict[str, Forge] = {
    "the issuer's token": lambda t: real(t),
    "scheme in lower case": lambda t: "bearer " + real(t).split(" ", 1)[1],
    "scheme in upper case": lambda t: "BEARER " + real(t).split(" ", 1)[1],
    "two spaces after the scheme": lambda t: "Bearer  " + real(t).split(" ", 1)[1],
    # RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
    "b64token padding after the signature": lambda t: real(t) + "==",
    "no kid, the only key": lambda t: real_with_header(t, {"kid": None}),
    "groups a single string": lambda t: real(t, groups="finance"),
    "aud a list holding this gateway": lambda t: real(t, aud=["https://other.example", t.url]),
    "expired within the leeway": lambda t: real(t, exp=int(time.time()) - 5),
    "exp in the year 9999": lambda t: real(t, exp=253_402_300_799),
    "a thousand groups": lambda t: real(t, groups=[f"g{i}" for i in range(1000)]),
}

ANONYMOUS: dict[str, list[tuple[str, str]]] = {
    "no Authorization header": [],
    "empty Authorization header": [("Authorization", "")],
    "Basic credentials": [("Authorization", "Basic bWFsbG9yeTpwYXNzd29yZA==")],
    "Token scheme": [("Authorization", "Token abc")],
    "Digest scheme": [("Authorization", 'Digest username="mallory"')],
    "a cookie only": [("Cookie", "access_token=abc")],
}


def _initialize(t: Target, authorization: list[tuple[str, str]], url: str | None = None) -> Any:
    headers = [
        (name.encode(), value.encode("utf-8"))
        for name, value in [("Accept", ACCEPT), ("Content-Type", "application/json"), *authorization]
    ]
    response = t.http.post(url or t.url, content=json.dumps(INIT), headers=headers)
    assert response.status_code < 500
    return response


def _challenge(t: Target, error: bool) -> str:
    metadata = f"{t.gateway.base_url}/.well-known/oauth-protected-resource/mcp"
    return f'Bearer resource_metadata="{metadata}"' + (', error="invalid_token"' if error else "")


@pytest.mark.parametrize("case", list(FORGED))
def test_a_forged_or_unusable_token_gets_the_one_invalid_token_answer(target: Target, case: str) -> None:
    authorization = FORGED[case](target)
    target.remember(authorization.split(" ", 1)[-1])
    response = _initialize(target, [("Authorization", authorization)])
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == _challenge(target, error=True)
    assert response.json() == INVALID_TOKEN_BODY


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_a_legitimate_variant_is_accepted(target: Target, case: str) -> None:
    authorization = ACCEPTED[case](target)
    target.remember(authorization.split(" ")[-1])
    response = _initialize(target, [("Authorization", authorization)])
    assert response.status_code == 200
    assert response.json()["result"]["protocolVersion"] == "2025-11-25"


@pytest.mark.parametrize("case", list(ANONYMOUS))
def test_no_bearer_credentials_gets_the_bare_challenge(target: Target, case: str) -> None:
    response = _initialize(target, ANONYMOUS[case])
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == _challenge(target, error=False)
    assert response.json() == ANONYMOUS_BODY


def test_a_valid_token_in_the_query_string_is_refused(target: Target) -> None:
    token = target.token("mallory")
    response = _initialize(target, [], url=f"{target.url}?access_token={token}")
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN_BODY


def test_a_second_authorization_header_is_refused(target: Target) -> None:
    response = _initialize(
        target, [("Authorization", f"Bearer {target.token('mallory')}"), ("Authorization", "Bearer x")]
    )
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": -32020,
        "message": "authorization header appears more than once",
    }


def test_duplicate_claim_names_read_as_the_last_one(target: Target) -> None:
    # RFC 7519 §4: parsers "MUST either reject JWTs with duplicate Claim Names or use a JSON
    # parser that returns only the lexically last duplicate member name". Signed by the issuer.
    now = int(time.time())
    payload = (
        f'{{"iss":"{target.issuer.url}","sub":"alice","sub":"mallory","aud":"{target.url}",'
        f'"iat":{now},"exp":{now + 600}}}'
    )
    token = target.remember(target.issuer.issuer.sign(payload.encode(), {}))
    session = target.open_session(token)
    tools = target.legacy(token, session, "tools/list").body["result"]["tools"]
    names = {tool["name"] for tool in tools}
    assert "demo__echo" in names
    assert "demo__delete_record" not in names  # alice may; mallory may not


def test_refusals_are_logged_with_their_reason_and_never_the_token(target: Target) -> None:
    expired = real(target, exp=int(time.time()) - 3600)
    target.remember(expired.split(" ", 1)[1])
    before = len(target.gateway.log)
    assert _initialize(target, [("Authorization", expired)]).status_code == 401
    from tests.support.gateway import wait_until

    def line() -> list[str]:
        return [entry for entry in target.gateway.log[before:] if 'reason="expired"' in entry]

    wait_until(lambda: bool(line()), 10, "the refusal line")
    assert f'issuer="{target.issuer.url}"' in line()[0]
    assert 'subject="mallory"' in line()[0]
    assert f'kid="{target.issuer.issuer.kid}"' in line()[0]


def test_no_token_reached_the_upstream_the_log_or_the_audit(target: Target) -> None:
    assert_no_leaks(target)

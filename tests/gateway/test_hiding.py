"""A hidden item and a missing one get the same bytes, whatever the upstream answers for
missing items (DESIGN §2); the audit log tells them apart."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.gateway.conftest import Mint
from tests.modern.wire import post
from tests.support.gateway import GatewayProcess
from tests.support.raw import RawSession

# carol (group finance) may read demo://users/*, served by the template
# demo://users/{user_id}/profile; the demo server knows no user id with a "!" in it.
PERMITTED_BUT_MISSING = "demo://users/no!such!user/profile"
HIDDEN = "demo://docs/handbook"
NO_SUCH = "demo://nowhere/at-all"


def _shape(reply: dict[str, Any], uri: str) -> str:
    """The reply's bytes with its id and the URI asked for blanked out."""
    return json.dumps({**reply, "id": None}, sort_keys=True).replace(json.dumps(uri), '"<uri>"')


async def _legacy_reads(gateway: GatewayProcess, token: str, uris: list[str]) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=20) as http:
        session = RawSession(http, gateway.url, token)
        await session.initialize()
        return [await session.request("resources/read", {"uri": uri}) for uri in uris]


async def _modern_reads(gateway: GatewayProcess, token: str, uris: list[str]) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=20) as http:
        replies = []
        for uri in uris:
            status, reply, _ = await post(http, gateway.url, token, "resources/read", {"uri": uri})
            # 2026-07-28 transports: an invalid-params error is an HTTP 400.
            assert status == 400
            replies.append(reply)
        return replies


@pytest.mark.parametrize("era", ["legacy", "modern"])
async def test_a_permitted_uri_the_upstream_lacks_answers_like_a_hidden_one(
    gateway: GatewayProcess, mint: Mint, era: str
) -> None:
    token = mint("carol", groups=["finance"])
    uris = [PERMITTED_BUT_MISSING, HIDDEN, NO_SUCH]
    replies = await (_legacy_reads if era == "legacy" else _modern_reads)(gateway, token, uris)

    shapes = {_shape(reply, uri) for reply, uri in zip(replies, uris, strict=True)}
    assert len(shapes) == 1
    code = -32002 if era == "legacy" else -32602
    assert replies[0]["error"] == {"code": code, "message": "Resource not found", "data": {"uri": uris[0]}}


async def test_the_audit_log_keeps_what_the_upstream_said(gateway: GatewayProcess, mint: Mint) -> None:
    await _legacy_reads(gateway, mint("carol", groups=["finance"]), [PERMITTED_BUT_MISSING])
    lines = [line for line in gateway.audit() if line["item"] == PERMITTED_BUT_MISSING]
    allowed, answered = lines[-2:]
    assert allowed["decision"] == "allow"
    assert (answered["decision"], answered["reason"]) == ("deny", "not found upstream (error -32602)")

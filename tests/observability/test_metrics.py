"""`/metrics`: what it counts, who may read it, where it is served, and across workers."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.modern import wire as modern
from tests.observability.conftest import demo_config, sample, scrape
from tests.support.gateway import GatewayProcess, free_port, running_gateway, wait_until
from tests.support.issuer import RunningIssuer
from tests.support.prometheus import prometheus_binary, running_prometheus
from tests.support.raw import RawSession
from tests.support.redis import REDIS_URL


async def _calls(gateway: GatewayProcess, issuer: RunningIssuer, user: str, *tools: str) -> None:
    async with httpx.AsyncClient(timeout=20) as http:
        session = RawSession(http, gateway.url, issuer.issuer.mint(user, audience=gateway.url))
        await session.initialize()
        for tool in tools:
            await session.request("tools/call", {"name": tool, "arguments": {"text": "x"}})


async def test_prometheus_scrapes_the_gateway_and_answers_for_the_calls_sent(
    issuer: RunningIssuer, tmp_path: Path
) -> None:
    if prometheus_binary() is None:
        pytest.fail("prometheus is not installed; scripts/test installs Debian's prometheus")
    port = free_port()
    with (
        running_gateway(demo_config(tmp_path, issuer, port), tmp_path) as gateway,
        running_prometheus([f"127.0.0.1:{port}"], tmp_path) as prometheus,
    ):
        await _calls(gateway, issuer, "bob", "demo__echo", "demo__echo", "demo__echo", "demo__delete_record")

        allowed = 'sum(authz_mcp_requests_total{method="tools/call",upstream="demo",decision="allow"})'
        denied = 'sum(authz_mcp_requests_total{method="tools/call",upstream="demo",decision="deny"})'
        assert prometheus.wait_for(allowed, lambda values: values == [3.0]) == [3.0]
        assert prometheus.wait_for(denied, lambda values: values == [1.0]) == [1.0]
        assert prometheus.query('authz_mcp_upstream_up{upstream="demo"}') == [1.0]


async def test_metrics_need_no_token_count_by_bounded_labels_and_name_no_user(
    gateway: GatewayProcess, issuer: RunningIssuer
) -> None:
    before = scrape(f"{gateway.base_url}/metrics")
    await _calls(gateway, issuer, "bob", "demo__echo")
    async with httpx.AsyncClient(timeout=20) as http:
        session = RawSession(http, gateway.url, issuer.issuer.mint("bob", audience=gateway.url))
        await session.initialize()
        assert (await session.request("made/up-method-bob-42"))["error"]["code"] == -32601

    after = scrape(f"{gateway.base_url}/metrics")
    echo = {"era": "legacy", "method": "tools/call", "upstream": "demo", "decision": "allow"}
    assert (
        sample(after, "authz_mcp_requests_total", **echo)
        == sample(before, "authz_mcp_requests_total", **echo) + 1
    )
    other = {"era": "legacy", "method": "other", "upstream": "-", "decision": "none"}
    assert sample(after, "authz_mcp_requests_total", **other) >= 1
    assert sample(after, "authz_mcp_sessions_opened_total") >= 2
    assert sample(after, "authz_mcp_upstream_request_seconds_count", upstream="demo") >= 1
    assert sample(after, "authz_mcp_gateway_added_seconds_count", method="tools/call") >= 1
    assert sample(after, "authz_mcp_http_responses_total", status_class="2xx") >= 4
    text = httpx.get(f"{gateway.base_url}/metrics", timeout=10).text
    assert "bob" not in text
    assert "made/up" not in text


async def test_live_sessions_and_open_streams_gauge_what_is_open_now(
    gateway: GatewayProcess, issuer: RunningIssuer
) -> None:
    url = f"{gateway.base_url}/metrics"
    before = scrape(url)
    live, streams = "authz_mcp_live_sessions", "authz_mcp_open_streams"
    async with httpx.AsyncClient(timeout=20) as http:
        token = issuer.issuer.mint("bob", audience=gateway.url)
        kept, ended = RawSession(http, gateway.url, token), RawSession(http, gateway.url, token)
        await kept.initialize()
        await ended.initialize()
        assert sample(scrape(url), live, kind="session") == sample(before, live, kind="session") + 2

        async with kept.listen():
            assert sample(scrape(url), streams, kind="get") == sample(before, streams, kind="get") + 1
        wait_until(
            lambda: sample(scrape(url), streams, kind="get") == sample(before, streams, kind="get"),
            20,
            "the closed stream to be uncounted",
        )

        assert (await http.delete(gateway.url, headers=ended.headers())).status_code == 204
        assert sample(scrape(url), live, kind="session") == sample(before, live, kind="session") + 1

        # A sessionless (2026-07-28) client's user has one record, however many requests.
        carol = issuer.issuer.mint("carol", audience=gateway.url)
        for request_id in (1, 2):
            status, _, _ = await modern.post(http, gateway.url, carol, "tools/list", request_id=request_id)
            assert status == 200
        assert sample(scrape(url), live, kind="principal") == sample(before, live, kind="principal") + 1


async def test_an_http_sse_connection_counts_as_an_open_stream_while_it_lasts(
    gateway: GatewayProcess, issuer: RunningIssuer
) -> None:
    url = f"{gateway.base_url}/metrics"
    before = sample(scrape(url), "authz_mcp_open_streams", kind="sse")
    headers = {
        "Authorization": f"Bearer {issuer.issuer.mint('bob', audience=gateway.url)}",
        "Accept": "text/event-stream",
    }
    async with (
        httpx.AsyncClient(timeout=20) as http,
        http.stream("GET", f"{gateway.base_url}/sse", headers=headers) as response,
    ):
        async for line in response.aiter_lines():
            if line.startswith("event: endpoint"):
                break
        assert sample(scrape(url), "authz_mcp_open_streams", kind="sse") == before + 1
    wait_until(
        lambda: sample(scrape(url), "authz_mcp_open_streams", kind="sse") == before,
        20,
        "the closed connection to be uncounted",
    )


async def test_refused_authentications_are_counted_by_reason(gateway: GatewayProcess) -> None:
    before = scrape(f"{gateway.base_url}/metrics")
    async with httpx.AsyncClient(timeout=20) as http:
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        headers = {"Accept": "application/json, text/event-stream"}
        assert (await http.post(gateway.url, json=body, headers=headers)).status_code == 401
        bad = {**headers, "Authorization": "Bearer not.a.jwt"}
        assert (await http.post(gateway.url, json=body, headers=bad)).status_code == 401

    after = scrape(f"{gateway.base_url}/metrics")
    for reason in ("no credentials", "malformed token"):
        counted = sample(after, "authz_mcp_auth_failures_total", reason=reason)
        assert counted == sample(before, "authz_mcp_auth_failures_total", reason=reason) + 1
    assert sample(after, "authz_mcp_http_responses_total", status_class="4xx") >= 2


def test_a_separate_metrics_listener_serves_only_metrics_to_allowed_clients(
    issuer: RunningIssuer, tmp_path: Path
) -> None:
    port, metrics_port = free_port(), free_port()
    config = demo_config(
        tmp_path, issuer, port, metrics={"port": metrics_port, "allow": ["127.0.0.0/8", "::1"]}
    )
    with running_gateway(config, tmp_path) as gateway:
        assert "authz_mcp_requests_total" in httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
        assert httpx.get(f"http://127.0.0.1:{metrics_port}/healthz").status_code == 404
        assert httpx.get(f"{gateway.base_url}/metrics").status_code == 404
        assert httpx.get(f"{gateway.base_url}/healthz").status_code == 200


def test_clients_outside_the_allow_list_are_refused(issuer: RunningIssuer, tmp_path: Path) -> None:
    config = demo_config(tmp_path, issuer, free_port(), metrics={"allow": ["192.0.2.0/24"]})
    with running_gateway(config, tmp_path) as gateway:
        assert httpx.get(f"{gateway.base_url}/metrics").status_code == 403


def _refusing_workers(gateway: GatewayProcess) -> Counter[int]:
    """How many refused authentications each worker logged, by process id."""
    lines = (json.loads(line) for line in gateway.log if line.startswith("{"))
    return Counter(
        line["pid"]
        for line in lines
        if line["logger"] == "authz_mcp.auth" and line["message"].startswith("credentials refused")
    )


# Two workers each import the gateway and start their own stdio upstream: slow on a busy machine.
@pytest.mark.timeout(240)
async def test_workers_answer_scrapes_with_the_sum_over_all_workers(
    issuer: RunningIssuer, tmp_path: Path, redis_prefix: str
) -> None:
    config = demo_config(
        tmp_path,
        issuer,
        free_port(),
        store={"url": REDIS_URL, "key_prefix": redis_prefix},
        logging={"format": "json"},
    )
    with running_gateway(config, tmp_path, "--workers", "2", start_timeout=120) as gateway:
        wait_until(lambda: sum(" ready at " in line for line in gateway.log) == 2, 120, "both workers")
        calls = 12
        # Fresh connections, so the kernel spreads them over both workers.
        for _ in range(calls // 3):
            await _calls(gateway, issuer, "bob", "demo__echo", "demo__echo", "demo__echo")
        echo = {"era": "legacy", "method": "tools/call", "upstream": "demo", "decision": "allow"}
        for _ in range(4):
            scraped = scrape(f"{gateway.base_url}/metrics")
            assert sample(scraped, "authz_mcp_requests_total", **echo) == calls
            # The store's count, shared by both workers: not summed over them.
            assert sample(scraped, "authz_mcp_live_sessions", kind="session") == calls // 3

        # Refused tokens on fresh connections until both workers have refused some (their log
        # lines name their pid), then every scrape, whichever worker answers it, counts them all.
        refused = 0
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        headers = {"Accept": "application/json, text/event-stream", "Authorization": "Bearer not.a.jwt"}

        def all_logged() -> bool:
            return sum(_refusing_workers(gateway).values()) == refused

        while len(_refusing_workers(gateway)) < 2:
            assert refused < 200, "every refusal went to one worker"
            with httpx.Client(timeout=10) as http:
                assert http.post(gateway.url, json=body, headers=headers).status_code == 401
            refused += 1
            wait_until(all_logged, 20, "the refusal's log line")
        for _ in range(4):
            scraped = scrape(f"{gateway.base_url}/metrics")
            assert sample(scraped, "authz_mcp_auth_failures_total", reason="malformed token") == refused

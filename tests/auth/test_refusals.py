"""Refused credentials are counted by reason and logged once each, safely."""

from __future__ import annotations

import logging

import pytest

from authz_mcp.auth.refusals import AuthRefusals
from authz_mcp.errors import InsufficientScope, InvalidToken, MissingCredentials
from authz_mcp.observability.metrics import Metrics


def test_refusals_are_counted_by_reason_in_the_metric() -> None:
    metrics = Metrics()
    refusals = AuthRefusals(metrics.count_auth_failure)
    for reason in ("expired", "expired", "bad signature"):
        refusals.record(InvalidToken(reason), "127.0.0.1:5000")
    refusals.record(MissingCredentials(), None)

    def counted(reason: str) -> float | None:
        return metrics.registry.get_sample_value("authz_mcp_auth_failures_total", {"reason": reason})

    assert [counted(reason) for reason in ("expired", "bad signature", "no credentials")] == [2, 1, 1]


def test_a_refused_token_is_a_warning_naming_what_is_known(caplog: pytest.LogCaptureFixture) -> None:
    error = InvalidToken("revoked personal token")
    error.add_context(subject="bob", token_id="0123456789abcdef", issuer="personal token")
    error.add_context(subject="mallory")  # the first value stays
    with caplog.at_level(logging.INFO, logger="authz_mcp.auth"):
        AuthRefusals().record(error, "10.0.0.7:4242")
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        'credentials refused: reason="revoked personal token" issuer="personal token" '
        'subject="bob" token_id="0123456789abcdef" client="10.0.0.7:4242"'
    )


def test_a_request_without_credentials_is_only_info(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="authz_mcp.auth"):
        AuthRefusals().record(MissingCredentials(), None)
    assert [record.levelno for record in caplog.records] == [logging.INFO]


def test_attacker_chosen_claims_cannot_forge_or_flood_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    error = InsufficientScope("missing a required scope")
    error.add_context(subject='eve"\n2026-01-01 INFO forged line ' + "x" * 1000, kid=123)
    with caplog.at_level(logging.INFO, logger="authz_mcp.auth"):
        AuthRefusals().record(error, None)
    message = caplog.records[0].getMessage()
    assert "\n" not in message
    assert 'subject="eve\\"\\n2026-01-01 INFO forged line ' in message
    assert len(message) < 300
    assert "kid=" not in message  # not a string: not what a kid is

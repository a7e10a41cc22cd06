"""Refused credentials: one log line each, and a count by reason (DESIGN §3, §8).

The client is told only `invalid_token`; the reason is here. A line names the reason, what is
known of the credential (issuer, kid, subject, personal token id, read from the credential
even when it failed to verify) and the client's address; never the token or any part of it.
Each reason is also handed to `count` (the gateway's Prometheus counter, which sums over
every worker): this module keeps no count of its own, so nothing can report one process's.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from authz_mcp.errors import CredentialsRefused, MissingCredentials

logger = logging.getLogger("authz_mcp.auth")

_MAX_FIELD_LENGTH = 128
"""Claims are attacker-chosen: a long or multi-line value must not flood or forge log lines."""
_FIELDS = ("issuer", "kid", "subject", "token_id")


class AuthRefusals:
    def __init__(self, count: Callable[[str], None] | None = None) -> None:
        self._count = count

    def record(self, error: CredentialsRefused, client: str | None) -> None:
        reason = error.reason
        if self._count is not None:
            self._count(reason)
        fields = {"reason": reason}
        fields.update((name, error.context[name]) for name in _FIELDS if name in error.context)
        fields["client"] = client or "unknown"
        described = " ".join(f"{name}={_quoted(value)}" for name, value in fields.items())
        # A request without any credentials is how every OAuth client starts (it learns where
        # to get a token from the 401): not worth a warning.
        level = logging.INFO if isinstance(error, MissingCredentials) else logging.WARNING
        logger.log(level, "credentials refused: %s", described)


def _quoted(value: str) -> str:
    """A JSON string: quotes, control characters and newlines escaped, length bounded."""
    if len(value) > _MAX_FIELD_LENGTH:
        value = value[:_MAX_FIELD_LENGTH] + "..."
    return json.dumps(value, ensure_ascii=True)

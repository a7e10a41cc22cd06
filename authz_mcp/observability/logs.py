"""Log output as text or JSON lines (`logging.format`)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Only a type here: the CLI reads TEXT_FORMAT before any config is loaded.
    from authz_mcp.config.operations import LoggingConfig

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record; an access line's fields are merged in as they are."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            # Under `serve --workers N`, which worker wrote the line.
            "pid": record.process,
            "message": record.getMessage(),
        }
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            line.update(access)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, separators=(",", ":"), default=str)


def apply_logging(config: LoggingConfig) -> None:
    """Give the root logger's handlers the configured format (they exist: the CLI made them)."""
    formatter: logging.Formatter = (
        JsonFormatter() if config.format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)

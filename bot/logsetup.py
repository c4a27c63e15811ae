"""Log output for `toonbot run`: text or one JSON object per line, each with the request's fields."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from engine.logcontext import ContextFilter

__all__ = ["JsonFormatter", "TextFormatter", "configure_logging", "make_handler", "record_fields"]

# Libraries chatty at INFO (httpx logs every request URL, token included): warnings only.
_QUIET = (
    "httpx",
    "httpcore",
    "discord.gateway",
    "discord.client",
    "aiohttp.access",
    "alembic.runtime.plugins",
)


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The request context bound when the record was made, plus any `extra={"fields": ...}`."""
    fields: dict[str, Any] = dict(getattr(record, "ctx", None) or {})
    fields.update(getattr(record, "fields", None) or {})
    return fields


class JsonFormatter(logging.Formatter):
    """ts, level, logger, msg, then the context fields (and exc for tracebacks)."""

    def format(self, record: logging.LogRecord) -> str:
        """One JSON object, no newlines inside."""
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, val in record_fields(record).items():
            entry.setdefault(key, val)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The classic line, followed by key=value for each context field."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """The line plus its fields; tracebacks stay below."""
        line = super().format(record)
        fields = record_fields(record)
        if not fields:
            return line
        head, sep, tail = line.partition("\n")
        pairs = " ".join(f"{key}={val}" for key, val in fields.items())
        return f"{head} [{pairs}]{sep}{tail}"


def make_handler(fmt: Literal["text", "json"], stream: TextIO | None = None) -> logging.Handler:
    """A handler writing `fmt` lines, with the request context, to stream (stderr)."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    return handler


def configure_logging(
    level: str, fmt: Literal["text", "json"], stream: TextIO | None = None
) -> logging.Handler:
    """Replace the root handlers with one that writes `fmt` at `level` to stream (stderr)."""
    handler = make_handler(fmt, stream)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    return handler

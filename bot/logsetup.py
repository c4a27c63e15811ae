"""Log output for `toonbot run`: text or one JSON object per line, each with the request's fields.

Every handler made here masks secrets and user identifiers (RedactingFilter) before a record is
written, whichever logger made it and at whatever level.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from engine.logcontext import ContextFilter

__all__ = [
    "JsonFormatter",
    "RedactingFilter",
    "TextFormatter",
    "configure_logging",
    "make_handler",
    "record_fields",
    "redact",
]

# Libraries chatty at INFO (httpx logs every request URL, token included): warnings only.
_QUIET = (
    "httpx",
    "httpcore",
    "discord.gateway",
    "discord.client",
    "aiohttp.access",
    "alembic.runtime.plugins",
    # "Context impl SQLiteImpl", "Will assume non-transactional DDL" at every start.
    "alembic.runtime.migration",
    # Two lines per SQL statement, with its parameters: chat ids a pattern cannot tell apart.
    "aiosqlite",
)


REDACTED = "<redacted>"
_ID = "<id>"
# (pattern, replacement), applied in order to the formatted message, tracebacks and fields.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # The password in a database URL: scheme://user:password@host.
    (re.compile(r"(://[^/\s:@'\"]+:)[^@\s/'\"]+@"), rf"\1{REDACTED}@"),
    # Telegram bot tokens, alone or in Bot API URLs (/bot<token>/method, /file/bot<token>/path).
    (re.compile(r"(/bot)\d+:[^/\s'\"?]+"), rf"\1{REDACTED}"),
    (re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}"), REDACTED),
    # Discord bot tokens (id.timestamp.hmac) and Authorization header values.
    (re.compile(r"\b[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}"), REDACTED),
    (re.compile(r"\b((?:Bot|Bearer)\s+)[A-Za-z0-9._~+/=-]{8,}"), rf"\1{REDACTED}"),
    # Discord interaction and webhook tokens: /interactions/<id>/<token>, /webhooks/<id>/<token>.
    (re.compile(r"(/(?:interactions|webhooks)/\d+/)[^/\s'\"?]+"), rf"\1{REDACTED}"),
    # token=..., "token": "...", password, secret, authorization, in any quoting.
    (
        re.compile(
            r"""(\b(?:\w*token|password|passwd|secret|authorization)['"]?\s*[:=]\s*['"]?)"""
            r"""[^'"\s,;&)}\]]+""",
            re.IGNORECASE,
        ),
        rf"\1{REDACTED}",
    ),
    # User and chat ids: keys of API payloads and reprs, REST paths, and our own tg:/dc: keys.
    (
        re.compile(
            r"""(['"]?\b(?:id|user_id|chat_id|from_id|sender_chat_id|author_id|owner_id|"""
            r"""guild_id|channel_id|member_id)['"]?\s*[:=]\s*['"]?)-?\d+"""
        ),
        rf"\1{_ID}",
    ),
    (re.compile(r"(/(?:users|channels|guilds|members|chats)/)\d+"), rf"\1{_ID}"),
    (re.compile(r"\b((?:tg|dc)(?::dm)?:)-?\d+"), rf"\1{_ID}"),
    # Names people chose for themselves identify them as well as their ids do.
    (
        re.compile(
            r"""(['"]?\b(?:first_name|last_name|username|global_name)['"]?\s*[:=]\s*)"""
            r"""(?:'[^']*'|"[^"]*"|[^\s,;)}]+)"""
        ),
        rf"\1'{REDACTED}'",
    ),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with each of `secrets` and every token, password, user/chat id and name masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Masks secrets and user identifiers in each record's message, traceback and fields.

    Install on handlers (a handler's filters see the records of every logger): it formats the
    message with its args, masks it, and leaves the record with no args to re-format. The
    traceback is formatted into `exc_text` once, masked, and `exc_info` dropped, so no
    formatter can print it unmasked. `secrets` are masked wherever they appear, verbatim.
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self.secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record in place; never drops one."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: show what there is, still masked
            message = f"{record.msg} {record.args!r}"
        record.msg = redact(message, self.secrets)
        record.args = None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = self._formatter.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        for name in ("ctx", "fields"):
            values = getattr(record, name, None)
            if isinstance(values, dict) and values:
                setattr(record, name, {k: self._mask_value(v) for k, v in values.items()})
        return True

    def _mask_value(self, value: Any) -> Any:
        return redact(value, self.secrets) if isinstance(value, str) else value


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
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
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


def make_handler(
    fmt: Literal["text", "json"],
    stream: TextIO | None = None,
    secrets: Iterable[str | None] = (),
) -> logging.Handler:
    """A handler writing `fmt` lines, with the request context, to stream (stderr).

    Tokens, passwords, user/chat ids and `secrets` are masked in everything it writes.
    """
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter(secrets))
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    return handler


def configure_logging(
    level: str,
    fmt: Literal["text", "json"],
    stream: TextIO | None = None,
    secrets: Iterable[str | None] = (),
) -> logging.Handler:
    """Replace the root handlers with one that writes `fmt` at `level` to stream (stderr).

    `secrets` (the bot tokens, the database URL) are masked verbatim wherever they appear, on
    top of the patterns every handler masks.
    """
    handler = make_handler(fmt, stream, secrets)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    return handler

"""Per-request log fields (job id, platform, user, style) carried by contextvars into every record."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from types import MappingProxyType

__all__ = ["ContextFilter", "bind", "current_fields"]

_EMPTY: Mapping[str, object] = MappingProxyType({})
# Tasks copy the context when created, so fields bound by a frontend handler follow the request
# into the tasks it starts (engine.submit, status updates) without being passed along.
_FIELDS: ContextVar[Mapping[str, object]] = ContextVar("toonbot_log_fields", default=_EMPTY)


def current_fields() -> Mapping[str, object]:
    """The fields bound in the running context (empty outside any request)."""
    return _FIELDS.get()


@contextlib.contextmanager
def bind(**fields: object) -> Iterator[None]:
    """Add `fields` to every log record made inside the block (nested binds add up)."""
    token = _FIELDS.set(MappingProxyType({**_FIELDS.get(), **fields}))
    try:
        yield
    finally:
        _FIELDS.reset(token)


class ContextFilter(logging.Filter):
    """Copies the bound fields onto each record as `record.ctx` (install on handlers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Attach the context; never drops a record."""
        if not hasattr(record, "ctx"):
            record.ctx = dict(_FIELDS.get())
        return True

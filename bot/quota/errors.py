"""The quota service's error tree, each error carrying the data a message needs."""

from __future__ import annotations

from typing import Literal

__all__ = [
    "LimitOutOfRange",
    "QuotaDatabaseFull",
    "QuotaDatabaseLost",
    "QuotaError",
    "QuotaExceeded",
    "QuotaReason",
    "QuotaUnavailable",
]

QuotaReason = Literal["daily", "chat_hourly", "cooldown"]


class QuotaError(Exception):
    """Base of every error the quota service raises on purpose."""


class QuotaExceeded(QuotaError):
    """A limit refused this photo; nothing was counted.

    retry_after_s is the number of whole seconds until the limit lets the user in again, or None
    when waiting will not help (the limit is 0: only an admin can change it).
    """

    def __init__(self, reason: QuotaReason, retry_after_s: int | None, limit: int) -> None:
        wait = "never" if retry_after_s is None else f"in {retry_after_s} s"
        super().__init__(f"{reason} limit of {limit} reached; retry {wait}")
        self.reason: QuotaReason = reason
        self.retry_after_s = retry_after_s
        self.limit = limit


class LimitOutOfRange(QuotaError):
    """An admin asked for a limit outside its allowed range."""

    def __init__(self, name: str, value: int, low: int, high: int) -> None:
        super().__init__(f"{name} must be between {low} and {high}, not {value}")
        self.name = name
        self.value = value
        self.low = low
        self.high = high


class QuotaUnavailable(QuotaError):
    """The database is locked past busy_timeout or unreachable; nothing was counted."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"quota database unavailable: {reason}")
        self.reason = reason


class QuotaDatabaseLost(QuotaUnavailable):
    """The SQLite file at `path` was deleted or replaced while the bot ran and is not back;
    nothing was counted, and nothing is until a ToonBot database is restored at that path."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path


class QuotaDatabaseFull(QuotaUnavailable):
    """The database or the disk under it is full (SQLite's SQLITE_FULL); nothing was counted."""

"""The shared quota service: per-user daily, per-chat hourly and cooldown limits, preferences."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.quota.errors import (
    LimitOutOfRange,
    QuotaDatabaseFull,
    QuotaDatabaseLost,
    QuotaError,
    QuotaExceeded,
    QuotaReason,
    QuotaUnavailable,
)
from bot.quota.records import (
    UNCHANGED,
    EffectiveLimits,
    ForgetResult,
    Grant,
    QuotaStatus,
    RecoveredCharge,
    Unchanged,
)

if TYPE_CHECKING:
    from bot.quota.service import DAY_S, HOUR_S, QuotaService

__all__ = [
    "DAY_S",
    "HOUR_S",
    "UNCHANGED",
    "EffectiveLimits",
    "ForgetResult",
    "Grant",
    "LimitOutOfRange",
    "QuotaDatabaseFull",
    "QuotaDatabaseLost",
    "QuotaError",
    "QuotaExceeded",
    "QuotaReason",
    "QuotaService",
    "QuotaStatus",
    "QuotaUnavailable",
    "RecoveredCharge",
    "Unchanged",
]

_LAZY = {"DAY_S", "HOUR_S", "QuotaService"}


def __getattr__(name: str) -> Any:
    # The service pulls in SQLAlchemy and Alembic; bot.messages only needs the errors and records,
    # and `toonbot toon` should not pay for a database it never opens.
    if name in _LAZY:
        from bot.quota import service

        return getattr(service, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

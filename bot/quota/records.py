"""What the quota service hands out: grants, effective limits, status, the UNCHANGED marker."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "UNCHANGED",
    "EffectiveLimits",
    "ForgetResult",
    "Grant",
    "QuotaStatus",
    "RecoveredCharge",
    "Unchanged",
]


class Unchanged(enum.Enum):
    """Type of UNCHANGED: "leave this limit as it is" (None means "back to the default")."""

    UNCHANGED = "unchanged"


UNCHANGED: Final = Unchanged.UNCHANGED


@dataclass(slots=True)
class Grant:
    """One photo's worth of quota, as consumed; hand it back to refund() if the job fails."""

    user: str
    chat: str
    daily_scope: str
    daily_window: int
    used_today: int
    daily_limit: int
    hourly_scope: str | None = None
    hourly_window: int | None = None
    # The cooldown mark this grant wrote, so a refund clears only its own.
    cooldown_at: float | None = None
    # Its row in the open-charge ledger, removed by settle() or refund().
    charge_id: str | None = None
    refunded: bool = field(default=False, compare=False)
    settled: bool = field(default=False, compare=False)

    @property
    def remaining_today(self) -> int:
        """Photos the user has left today in this chat after this one."""
        return max(0, self.daily_limit - self.used_today)


@dataclass(frozen=True, slots=True)
class EffectiveLimits:
    """The limits a chat runs under, and which of them an admin overrode."""

    daily_per_user: int
    per_chat_per_hour: int  # 0 means unlimited
    cooldown_s: int  # 0 means no cooldown
    overridden: frozenset[str] = frozenset()
    updated_by: str | None = None
    updated_at: float | None = None


@dataclass(frozen=True, slots=True)
class QuotaStatus:
    """What /quota shows a user in one chat."""

    used_today: int
    daily_limit: int
    remaining_today: int
    resets_in_s: int
    cooldown_remaining_s: int
    chat_hourly_used: int
    chat_hourly_limit: int  # 0 means unlimited (and nothing is counted)
    chat_hourly_resets_in_s: int


@dataclass(frozen=True, slots=True)
class RecoveredCharge:
    """A charge a dead process left open, now refunded; the frontend tells its user."""

    platform: str  # the frontend that made the charge, as it told consume(): "telegram", "discord"
    user: str
    chat: str
    notify_chat: str | None  # platform chat or channel id to tell the user in
    notify_message: str | None  # the user's message to reply to, if the platform has one
    # The requester's language code as consume() got it (bot.i18n Lang.code), for the notice;
    # None (older charges, callers without one) means English. Last, with a default, so
    # positional construction from before it keeps working.
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class ForgetResult:
    """What forgetting a user deleted, and what it kept until it stops mattering."""

    preferences: int  # remembered styles deleted (0 or 1)
    history: int  # usage counters of past days (hours, for their own chat) and a spent cooldown
    admin_marks: int  # chat limits that named the user as who set them, now nameless
    kept: int  # today's counters, a running cooldown and open charges, kept for the limits
    kept_until: float | None  # unix seconds when the last kept row stops mattering; None: none

    @property
    def deleted(self) -> int:
        """Rows deleted or made nameless in all."""
        return self.preferences + self.history + self.admin_marks

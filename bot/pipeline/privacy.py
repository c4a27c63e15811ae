"""What /privacy and /forget (and Discord's /toon-privacy and /toon-forget) need on every
platform: the retention figures, from config, and forgetting a user."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.config import QUOTA_LIMIT_RANGES, DatabaseSettings
from bot.i18n import ENGLISH, Lang
from bot.messages import FORGET_UNAVAILABLE, forget_message, human_duration
from bot.quota import QuotaService, QuotaUnavailable

__all__ = ["DEFAULT_PURGE_INTERVAL_S", "Privacy"]

DEFAULT_PURGE_INTERVAL_S = DatabaseSettings().purge_interval_s


class Privacy:
    """The privacy text's figures and the /forget reply, both true to how rows are purged."""

    def __init__(
        self,
        quota: QuotaService,
        purge_interval_s: float = DEFAULT_PURGE_INTERVAL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """purge_interval_s: the [database] setting the composition root purges at."""
        self._quota = quota
        self._purge_interval_s = purge_interval_s
        self._clock = clock

    def fields(self, lang: Lang = ENGLISH) -> dict[str, str]:
        """The privacy text's format fields: the purge pace, and how long a cooldown mark is
        kept (the longest cooldown an admin may set, which the purge waits out); in `lang`."""
        return {
            "purge": human_duration(self._purge_interval_s, lang),
            "cooldown_max": human_duration(QUOTA_LIMIT_RANGES["cooldown_s"][1], lang),
        }

    async def forget(self, user: str, lang: Lang = ENGLISH) -> str:
        """Forget `user` and say (in `lang`) what went and what stays; a database that is
        unavailable gets its friendly sentence (nothing was deleted)."""
        try:
            result = await self._quota.forget(user)
        except QuotaUnavailable:
            return lang(FORGET_UNAVAILABLE)
        interval = self._purge_interval_s
        return forget_message(result, now=self._clock(), purge_interval_s=interval, lang=lang)

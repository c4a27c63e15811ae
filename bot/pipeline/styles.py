"""Which style a request is drawn in when it names none: the user's remembered style, else
their server's default, else the bot's; and the sample picture /help shows."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.quota import QuotaService

__all__ = ["StyleMemory", "read_help_sample"]


class StyleMemory:
    """Remembered styles (in the quota database), falling back when one was removed since."""

    def __init__(self, quota: QuotaService, styles: Sequence[str], default_style: str) -> None:
        self._quota = quota
        self._styles = tuple(styles)
        self._default = default_style

    @property
    def names(self) -> tuple[str, ...]:
        """The styles the engine draws."""
        return self._styles

    def exists(self, style: str) -> bool:
        """Whether the engine draws `style`."""
        return style in self._styles

    async def usual(self, user: str, place: str | None = None) -> str:
        """The style `user` draws in: theirs, else `place`'s default (a server's), else the
        bot's; a remembered style that no longer exists is skipped rather than failed on."""
        for key in (user, place):
            if key is None:
                continue
            stored = await self._quota.get_style(key)
            if stored is not None and stored in self._styles:
                return stored
        return self._default if self._default in self._styles else self._styles[0]

    async def remember(self, key: str, style: str) -> None:
        """Remember `style` for a user, or as a place's default (the caller checked it exists).

        Raises what QuotaService.set_style raises (QuotaUnavailable when the database is).
        """
        await self._quota.set_style(key, style)


async def read_help_sample() -> bytes | None:
    """The styles' sample picture; None when this install has none (a wheel without docs/)."""
    return await asyncio.to_thread(_read_sample)


def _read_sample() -> bytes | None:
    # Shipped inside the package (bot/data), so a wheel install sends it too.
    from bot.data import HELP_SAMPLE, read_picture

    return read_picture(HELP_SAMPLE)

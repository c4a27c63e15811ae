"""Every user-facing string, and the one place errors become words.

Split by audience: common (errors, quotas, options), telegram, discord and cli; import them all
from here (`from bot.messages import TG_HELP`)."""

from __future__ import annotations

from bot.messages import cli, common, discord, telegram
from bot.messages.cli import *  # noqa: F403
from bot.messages.common import *  # noqa: F403
from bot.messages.discord import *  # noqa: F403
from bot.messages.telegram import *  # noqa: F403

__all__ = [*common.__all__, *telegram.__all__, *discord.__all__, *cli.__all__]

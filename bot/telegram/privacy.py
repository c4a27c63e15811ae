"""/privacy says what the bot keeps about a user and for how long; /forget deletes it.

No confirmation button: /forget deletes only a remembered style and past counts, both cheap to
lose (a style is picked again in one tap), and never what the limits rest on.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.i18n import lang_for
from bot.messages import TG_PRIVACY
from bot.pipeline import Privacy
from bot.telegram.ids import user_key
from bot.telegram.replies import reply

__all__ = ["PrivacyHandlers"]

Context = ContextTypes.DEFAULT_TYPE


class PrivacyHandlers:
    """/privacy and /forget, for every user in any chat (the data is theirs, not the chat's)."""

    def __init__(self, privacy: Privacy) -> None:
        self._privacy = privacy

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        """The PTB handlers for the privacy commands."""
        return [
            CommandHandler("privacy", self.on_privacy),
            CommandHandler("forget", self.on_forget),
        ]

    async def on_privacy(self, update: Update, context: Context) -> None:
        """What is kept, for how long, and how to delete it."""
        if update.message is not None:
            user = update.effective_user
            lang = lang_for(user.language_code if user is not None else None)
            text = lang(TG_PRIVACY).format(**self._privacy.fields(lang))
            await reply(context.bot, update.message, text)

    async def on_forget(self, update: Update, context: Context) -> None:
        """Delete the sender's preferences and history; say what went and what stays."""
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        lang = lang_for(user.language_code)
        await reply(context.bot, message, await self._privacy.forget(user_key(user.id), lang))

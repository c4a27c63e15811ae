"""Group admin commands: /limits shows the chat's quota limits, /setlimit changes one."""

from __future__ import annotations

import logging

from telegram import Bot, Message, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.i18n import Lang, lang_for
from bot.messages import (
    TG_ADMIN_CHECK_FAILED,
    TG_ADMIN_ONLY,
    TG_GROUPS_ONLY,
    TG_LIMIT_SET,
    TG_LIMITS,
    TG_SETLIMIT_USAGE,
    quota_message,
)
from bot.quota import EffectiveLimits, LimitOutOfRange, QuotaService, QuotaUnavailable
from bot.telegram.ids import chat_key, user_key
from bot.telegram.replies import reply

__all__ = ["LIMIT_NAMES", "AdminHandlers"]

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

LIMIT_NAMES = ("daily_per_user", "per_chat_per_hour", "cooldown_s")
_DEFAULT_WORD = "default"
_ADMIN_STATUSES = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})


class AdminHandlers:
    """/limits and /setlimit, for the administrators of a group only."""

    def __init__(self, quota: QuotaService) -> None:
        self._quota = quota

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        """The PTB handlers for the admin commands."""
        return [
            CommandHandler("limits", self.on_limits),
            CommandHandler("setlimit", self.on_setlimit),
        ]

    async def on_limits(self, update: Update, context: Context) -> None:
        """Show the limits this group runs under."""
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        lang = lang_for(user.language_code)
        if not await self._allowed(context.bot, message, user, lang):
            return
        try:
            limits = await self._quota.chat_limits(chat_key(message.chat_id))
        except QuotaUnavailable as exc:
            await reply(context.bot, message, quota_message(exc, lang))
            return
        await reply(context.bot, message, _describe(limits, lang))

    async def on_setlimit(self, update: Update, context: Context) -> None:
        """Change one limit: /setlimit <name> <number|default>."""
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        lang = lang_for(user.language_code)
        if not await self._allowed(context.bot, message, user, lang):
            return
        parsed = _parse(context.args or [])
        if parsed is None:
            usage = lang(TG_SETLIMIT_USAGE).format(names=", ".join(LIMIT_NAMES))
            await reply(context.bot, message, usage)
            return
        name, value = parsed
        try:
            limits = await self._set(chat_key(message.chat_id), name, value, user_key(user.id))
        except (LimitOutOfRange, QuotaUnavailable) as exc:
            await reply(context.bot, message, quota_message(exc, lang))
            return
        text = lang(TG_LIMIT_SET).format(name=name, value=getattr(limits, name))
        await reply(context.bot, message, text)

    async def _set(self, chat: str, name: str, value: int | None, by: str) -> EffectiveLimits:
        if name == "daily_per_user":
            return await self._quota.set_chat_limits(chat, daily_per_user=value, updated_by=by)
        if name == "per_chat_per_hour":
            return await self._quota.set_chat_limits(chat, per_chat_per_hour=value, updated_by=by)
        return await self._quota.set_chat_limits(chat, cooldown_s=value, updated_by=by)

    async def _allowed(self, bot: Bot, message: Message, user: User, lang: Lang) -> bool:
        """True for a group admin; otherwise replies with the reason and returns False."""
        if message.chat.type == ChatType.PRIVATE:
            await reply(bot, message, lang(TG_GROUPS_ONLY))
            return False
        # An anonymous admin posts as the group itself; only admins can do that.
        if message.sender_chat is not None and message.sender_chat.id == message.chat_id:
            return True
        try:
            # Asked every time: admin lists change, and a cached answer would outlive a demotion.
            member = await bot.get_chat_member(message.chat_id, user.id)
        except TelegramError as exc:
            log.warning("getChatMember failed in %s: %s", message.chat_id, exc)
            await reply(bot, message, lang(TG_ADMIN_CHECK_FAILED))
            return False
        if member.status in _ADMIN_STATUSES:
            return True
        await reply(bot, message, lang(TG_ADMIN_ONLY))
        return False


def _parse(args: list[str]) -> tuple[str, int | None] | None:
    if len(args) != 2 or args[0].lower() not in LIMIT_NAMES:
        return None
    name, raw = args[0].lower(), args[1].lower()
    if raw == _DEFAULT_WORD:
        return name, None
    try:
        return name, int(raw)
    except ValueError:
        return None


def _describe(limits: EffectiveLimits, lang: Lang) -> str:
    return lang(TG_LIMITS).format(
        daily_per_user=limits.daily_per_user,
        per_chat_per_hour=limits.per_chat_per_hour,
        cooldown_s=limits.cooldown_s,
    )

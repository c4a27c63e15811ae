"""The Telegram frontend: a python-telegram-bot Application wired to the engine and quotas."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from types import TracebackType
from typing import Self

from telegram import BotCommand, BotCommandScopeAllChatAdministrators, Update
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

from bot.budget import ByteBudget
from bot.config import OutputSettings
from bot.i18n import DEFAULT_LOCALE, available_locales, lang_for
from bot.messages import TG_ADMIN_COMMAND_MENU, TG_COMMAND_MENU, TG_SERVER_ERROR
from bot.metrics import BotMetrics
from bot.pipeline import PipelineSettings, Privacy, RequestPipeline, StyleMemory
from bot.pipeline.privacy import DEFAULT_PURGE_INTERVAL_S
from bot.quota import QuotaService, RecoveredCharge
from bot.telegram.admin import AdminHandlers
from bot.telegram.handlers import UserHandlers
from bot.telegram.pipeline import ToonPipeline
from bot.telegram.privacy import PrivacyHandlers
from bot.telegram.replies import reply
from engine.api import EngineSurface
from engine.imageio import ImageLimits
from engine.video import VideoLimits

__all__ = ["MAX_CONCURRENT_UPDATES", "MAX_RETRIES", "TelegramFrontend"]

log = logging.getLogger(__name__)

# Updates handled at once. Handlers mostly wait (on Telegram, the database, the engine), so the
# bound is about memory, not CPU; it sits above the engine's default queue size so a burst
# meets the engine's polite "busy" rather than silently waiting behind slow jobs.
MAX_CONCURRENT_UPDATES = 512
# Retries after a 429: AIORateLimiter then waits out retry_after before trying again.
MAX_RETRIES = 3
_ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


class TelegramFrontend:
    """Runs the Telegram bot; `async with TelegramFrontend(...)` or start()/stop()."""

    def __init__(
        self,
        token: str,
        engine: EngineSurface,
        quota: QuotaService,
        *,
        images: ImageLimits,
        output: OutputSettings,
        default_style: str,
        base_url: str | None = None,
        base_file_url: str | None = None,
        rate_limiter: AIORateLimiter | None = None,
        status_interval_s: float = 1.0,
        video: VideoLimits | None = None,
        poll_timeout_s: int = 10,
        metrics: BotMetrics | None = None,
        budget: ByteBudget | None = None,
        purge_interval_s: float = DEFAULT_PURGE_INTERVAL_S,
    ) -> None:
        """budget: bytes of uploads in flight, shared with the other frontends (bot.budget);
        purge_interval_s: the [database] purge pace, which /privacy quotes."""
        builder = (
            ApplicationBuilder()
            .token(token)
            .concurrent_updates(MAX_CONCURRENT_UPDATES)
            .rate_limiter(rate_limiter or AIORateLimiter(max_retries=MAX_RETRIES))
        )
        if base_url is not None:
            builder = builder.base_url(base_url)
        if base_file_url is not None:
            builder = builder.base_file_url(base_file_url)
        self._app = builder.build()
        self._poll_timeout_s = poll_timeout_s
        shared = RequestPipeline(
            engine,
            quota,
            PipelineSettings(
                images,
                output,
                status_interval_s=status_interval_s,
                video=video or VideoLimits(),
                # Twice the picture status pace: 2 s in production, quick in tests.
                progress_interval_s=2 * status_interval_s,
                budget=budget,
            ),
            metrics,
        )
        pipeline = ToonPipeline(shared)
        self._pipeline = pipeline
        styles = StyleMemory(quota, engine.style_names, default_style)
        self._app.add_handlers(UserHandlers(engine, quota, pipeline, styles).handlers())
        self._app.add_handlers(AdminHandlers(quota).handlers())
        self._app.add_handlers(PrivacyHandlers(Privacy(quota, purge_interval_s)).handlers())
        self._app.add_error_handler(_on_error)

    @property
    def application(self) -> Application:  # type: ignore[type-arg]
        """The underlying PTB Application."""
        return self._app

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Log in (getMe), publish the command menu, start polling and handling updates."""
        try:
            await self._app.initialize()
        except BaseException:
            # A failed getMe leaves the HTTP clients open, and Application.shutdown() skips an
            # application that never finished initializing.
            await self._app.bot.shutdown()
            raise
        try:
            await self._publish_commands()
            assert self._app.updater is not None
            await self._app.updater.start_polling(
                poll_interval=0.0,
                timeout=self._poll_timeout_s,
                allowed_updates=_ALLOWED_UPDATES,
            )
            await self._app.start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop polling, let updates in flight finish, and close the HTTP clients."""
        updater = self._app.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self._app.running:
            # Waits for handlers in flight, so their users still get an answer.
            await self._app.stop()
        await self._app.shutdown()

    async def notify_restarted(self, charges: Sequence[RecoveredCharge]) -> None:
        """Tell the Telegram users among `charges` that a restart cut their picture short."""
        for charge in charges:
            if charge.platform == "telegram":
                await self._pipeline.notify_restarted(self._app.bot, charge)

    async def _publish_commands(self) -> None:
        # The English menus are the defaults; each catalogue adds its language's (Telegram shows
        # a user the menu of their app's language_code, else the default).
        try:
            for code in [DEFAULT_LOCALE, *sorted(available_locales() - {DEFAULT_LOCALE})]:
                lang, language_code = lang_for(code), None if code == DEFAULT_LOCALE else code
                everyone = [BotCommand(name, lang(text)) for name, text in TG_COMMAND_MENU]
                admins = everyone + [
                    BotCommand(name, lang(text)) for name, text in TG_ADMIN_COMMAND_MENU
                ]
                await self._app.bot.set_my_commands(everyone, language_code=language_code)
                await self._app.bot.set_my_commands(
                    admins,
                    scope=BotCommandScopeAllChatAdministrators(),
                    language_code=language_code,
                )
        except TelegramError as exc:
            # Only the "/" menu suffers; the commands themselves work without it.
            log.warning("could not publish the command menu: %s", exc)


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("error while handling a Telegram update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        user = update.effective_user
        lang = lang_for(user.language_code if user is not None else None)
        await reply(context.bot, update.effective_message, lang(TG_SERVER_ERROR))

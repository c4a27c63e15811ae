"""What the commands and buttons do: the picture pipeline, cancelling clips, help, styles, quota
and limits."""

from __future__ import annotations

import io
import logging

import discord

from bot.discord.commands import LimitName
from bot.discord.ids import chat_key, server_key, user_key
from bot.discord.pipeline import DiscordPipeline
from bot.i18n import Lang, lang_for
from bot.messages import (
    CANCEL_GONE,
    CANCEL_NOT_YOURS,
    DC_ADMIN_ONLY,
    DC_HELP,
    DC_HELP_SAMPLE,
    DC_HELP_STYLE,
    DC_LIMIT_SET,
    DC_LIMITS,
    DC_PRIVACY,
    DC_SERVER_STYLE_SET,
    DC_STYLE_SET,
    error_message,
    quota_message,
    quota_status_message,
)
from bot.pipeline import CancelOutcome, Privacy, StyleMemory, read_help_sample
from bot.quota import EffectiveLimits, LimitOutOfRange, QuotaService, QuotaUnavailable
from engine.errors import BadStyleOption, UnknownStyle
from engine.styles import describe_styles
from engine.styles.options import StyleOptions

__all__ = ["ToonHandlers"]

log = logging.getLogger(__name__)

Interaction = discord.Interaction[discord.Client]


class ToonHandlers:
    """The running bot's side of every command and button (see commands.Handlers)."""

    def __init__(
        self,
        pipeline: DiscordPipeline,
        quota: QuotaService,
        styles: StyleMemory,
        privacy: Privacy | None = None,
    ) -> None:
        self._pipeline = pipeline
        self._quota = quota
        self._styles = styles
        self._privacy = privacy or Privacy(quota)
        self._descriptions = describe_styles()

    async def toon(
        self,
        interaction: Interaction,
        image: discord.Attachment,
        style: str | None,
        texture: float | None = None,
        color: float | None = None,
    ) -> None:
        """/toon: draw an attached picture in the chosen or the user's usual style."""
        try:
            # Discord enforces the options' 0..1 range in its client; checked again here.
            options = StyleOptions(texture=texture, color=color)
        except BadStyleOption as exc:  # answered before anything is charged
            text = error_message(exc, lang_for(interaction.locale))
            await interaction.response.send_message(text, ephemeral=True)
            return
        chosen = style or await self._usual_style(interaction)
        await self._pipeline.toon(interaction, image, chosen, options)

    async def toonify(self, interaction: Interaction, message: discord.Message) -> None:
        """The "Toonify" message menu, in the user's usual style."""
        await self._pipeline.toon_message(
            interaction, message, await self._usual_style(interaction)
        )

    async def restyle(self, interaction: Interaction, style: str, options: StyleOptions) -> None:
        """A re-run button under a result: the options it was drawn with are kept."""
        await self._pipeline.restyle(interaction, style, options)

    async def cancel(self, interaction: Interaction, job_id: str) -> None:
        """The Cancel button under a clip's status: stop it if the clicker asked for it."""
        outcome = self._pipeline.jobs.cancel(job_id, user_key(interaction.user.id))
        lang = lang_for(interaction.locale)
        try:
            if outcome is CancelOutcome.CANCELLED:
                # The clip's own status line then says it was cancelled.
                await interaction.response.defer()
            elif outcome is CancelOutcome.NOT_YOURS:
                await interaction.response.send_message(lang(CANCEL_NOT_YOURS), ephemeral=True)
            else:
                await interaction.response.send_message(lang(CANCEL_GONE), ephemeral=True)
        except discord.HTTPException as exc:
            log.info("could not answer the cancel click %s: %s", interaction.id, exc)

    async def source_deleted(self, message_id: int) -> None:
        """A message was deleted: a clip drawn from it (Toonify) is cancelled."""
        if self._pipeline.jobs.cancel_source(str(message_id)):
            log.info("message %s was deleted: its clip is cancelled", message_id)

    async def show_help(self, interaction: Interaction) -> None:
        """/toon-help, privately: usage, the styles (and the user's), and a sample picture."""
        # The sample is read before answering; answered within Discord's 3 s all the same.
        current = await self._usual_style(interaction)
        lang = lang_for(interaction.locale)
        # The style descriptions (engine.styles.catalog) stay English, like the style names.
        styles = "\n".join(
            lang(DC_HELP_STYLE).format(name=name, description=self._descriptions[name])
            if name in self._descriptions
            else name
            for name in self._styles.names
        )
        text = lang(DC_HELP).format(styles=styles, current=current)
        sample = await read_help_sample()
        if sample is None:
            await interaction.response.send_message(text, ephemeral=True)
            return
        file = discord.File(io.BytesIO(sample), filename="toon_styles.jpg")
        text += "\n\n" + lang(DC_HELP_SAMPLE)
        await interaction.response.send_message(text, file=file, ephemeral=True)

    async def set_style(self, interaction: Interaction, style: str) -> None:
        """/toon-style: remember the user's usual style, privately confirmed."""
        if not await self._remember(interaction, user_key(interaction.user.id), style):
            return
        text = lang_for(interaction.locale)(DC_STYLE_SET).format(style=style)
        await interaction.response.send_message(text, ephemeral=True)

    async def set_server_style(self, interaction: Interaction, style: str) -> None:
        """/toon-admin set-style, for server managers only."""
        if not await _allowed(interaction):
            return
        server = server_key(interaction)
        if server is None or not await self._remember(interaction, server, style):
            return
        text = lang_for(interaction.locale)(DC_SERVER_STYLE_SET).format(style=style)
        await interaction.response.send_message(text, ephemeral=True)

    async def _remember(self, interaction: Interaction, key: str, style: str) -> bool:
        lang = lang_for(interaction.locale)
        if not self._styles.exists(style):  # the command's choices may be older than the bot
            text = error_message(UnknownStyle(style, self._styles.names), lang)
            await interaction.response.send_message(text, ephemeral=True)
            return False
        try:
            await self._styles.remember(key, style)
        except QuotaUnavailable as exc:
            await interaction.response.send_message(quota_message(exc, lang), ephemeral=True)
            return False
        return True

    async def show_quota(self, interaction: Interaction) -> None:
        """/toon-quota, privately."""
        lang = lang_for(interaction.locale)
        try:
            status = await self._quota.status(user_key(interaction.user.id), chat_key(interaction))
        except QuotaUnavailable as exc:
            await interaction.response.send_message(quota_message(exc, lang), ephemeral=True)
            return
        text = quota_status_message(status, lang)
        await interaction.response.send_message(text, ephemeral=True)

    async def show_privacy(self, interaction: Interaction) -> None:
        """/toon-privacy, privately."""
        lang = lang_for(interaction.locale)
        text = lang(DC_PRIVACY).format(**self._privacy.fields(lang))
        await interaction.response.send_message(text, ephemeral=True)

    async def forget(self, interaction: Interaction) -> None:
        """/toon-forget, privately; no confirmation (see bot.telegram.privacy for why). The
        server's default style is the server's, not the user's: it stays."""
        lang = lang_for(interaction.locale)
        text = await self._privacy.forget(user_key(interaction.user.id), lang)
        await interaction.response.send_message(text, ephemeral=True)

    async def show_limits(self, interaction: Interaction) -> None:
        """/toon-admin limits, privately and for server managers only."""
        if not await _allowed(interaction):
            return
        lang = lang_for(interaction.locale)
        try:
            limits = await self._quota.chat_limits(chat_key(interaction))
        except QuotaUnavailable as exc:
            await interaction.response.send_message(quota_message(exc, lang), ephemeral=True)
            return
        await interaction.response.send_message(_describe(limits, lang), ephemeral=True)

    async def set_limit(self, interaction: Interaction, name: LimitName, value: int) -> None:
        """/toon-admin set-*, for server managers only."""
        if not await _allowed(interaction):
            return
        chat, by = chat_key(interaction), user_key(interaction.user.id)
        lang = lang_for(interaction.locale)
        try:
            if name == "daily_per_user":
                limits = await self._quota.set_chat_limits(
                    chat, daily_per_user=value, updated_by=by
                )
            elif name == "per_chat_per_hour":
                limits = await self._quota.set_chat_limits(
                    chat, per_chat_per_hour=value, updated_by=by
                )
            else:
                limits = await self._quota.set_chat_limits(chat, cooldown_s=value, updated_by=by)
        except (LimitOutOfRange, QuotaUnavailable) as exc:
            await interaction.response.send_message(quota_message(exc, lang), ephemeral=True)
            return
        text = lang(DC_LIMIT_SET).format(name=name, value=getattr(limits, name))
        await interaction.response.send_message(text, ephemeral=True)

    async def _usual_style(self, interaction: Interaction) -> str:
        return await self._styles.usual(user_key(interaction.user.id), server_key(interaction))


async def _allowed(interaction: Interaction) -> bool:
    """True for someone who may manage the server; otherwise tells them why not."""
    # Checked at run time: default_permissions is only a default that server admins can change.
    if interaction.guild_id is not None and interaction.permissions.manage_guild:
        return True
    text = lang_for(interaction.locale)(DC_ADMIN_ONLY)
    await interaction.response.send_message(text, ephemeral=True)
    return False


def _describe(limits: EffectiveLimits, lang: Lang) -> str:
    return lang(DC_LIMITS).format(
        daily_per_user=limits.daily_per_user,
        per_chat_per_hour=limits.per_chat_per_hour,
        cooldown_s=limits.cooldown_s,
    )

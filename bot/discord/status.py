"""The requester's private status line: the deferred response, edited as the work progresses."""

from __future__ import annotations

import logging

import discord

from bot.discord.buttons import cancel_view
from bot.i18n import ENGLISH, Lang

__all__ = ["StatusLine"]

log = logging.getLogger(__name__)

Interaction = discord.Interaction[discord.Client]


class StatusLine:
    """The private status of one job; Discord errors are logged, never raised.

    The bot.pipeline.Status of a Discord request.
    """

    def __init__(self, interaction: Interaction, lang: Lang = ENGLISH) -> None:
        self._interaction = interaction
        self._lang = lang  # the Cancel button's label
        self._text: str | None = None
        # Buttons under the status while set (a clip's Cancel); the next edit after it is
        # cleared removes them.
        self.view: discord.ui.View | None = None
        self._view_shown = False

    async def show(self, text: str) -> None:
        """Show `text` (with `view`, if any) unless it is already shown."""
        if text == self._text:
            return
        self._text = text
        interaction = self._interaction
        try:
            if not interaction.response.is_done():
                await interaction.response.send_message(text, ephemeral=True)
            elif self.view is not None or self._view_shown:
                view, self._view_shown = self.view, self.view is not None
                await interaction.edit_original_response(content=text, view=view)
                if view is not None:
                    # Its buttons are global dynamic items; a view stored for this message
                    # would answer each click a second time.
                    view.stop()
            else:
                await interaction.edit_original_response(content=text)
        except discord.HTTPException as exc:
            # Progress is cosmetic, and the token may have expired; the result still gets sent.
            log.info("could not update the status of %s: %s", interaction.id, exc)

    def offer_cancel(self, job_id: str | None) -> None:
        """The Cancel button under the status while a clip is drawn; None removes it."""
        self.view = None if job_id is None else cancel_view(job_id, self._lang)

    async def fail(self, text: str) -> None:
        """The final text (a private answer if nothing was answered yet), without buttons."""
        self.view = None
        await self.show(text)

    async def delete(self) -> None:
        """Remove the status once the result is there."""
        try:
            await self._interaction.delete_original_response()
        except discord.HTTPException as exc:
            log.info("could not delete the status of %s: %s", self._interaction.id, exc)

"""Result buttons that survive restarts: everything they need lives in their custom_id."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.discord.commands import handlers_of
from bot.i18n import ENGLISH, Lang, lang_for
from bot.messages import (
    CANCEL_BUTTON,
    DC_DELETE_BUTTON,
    DC_DELETE_NOT_YOURS,
    DC_RESTYLE_BUTTON,
    error_message,
)
from bot.options import decode_options, encode_options
from engine.errors import BadStyleOption
from engine.styles.options import StyleOptions

__all__ = [
    "ORIGINAL_PREFIX",
    "CancelButton",
    "DeleteButton",
    "RestyleButton",
    "cancel_view",
    "result_view",
]

# The result message carries the (metadata-free) source picture under this file name, so a
# re-run after a restart finds it in the clicked message without any state of ours.
ORIGINAL_PREFIX = "original"


class RestyleButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    # "toon:re:<style>", then ":<options>" (bot.options.encode_options) when the result was
    # drawn with any; buttons posted before options existed carry none and keep working.
    template=r"toon:re:(?P<style>[a-z0-9_-]{1,40})(?::(?P<options>t\d{1,4}(?:c\d{1,4})?|c\d{1,4}))?",
):
    """Redraw the result's source picture in another style with the options it was drawn
    with, charged to whoever clicks."""

    def __init__(
        self, style: str, options: StyleOptions | None = None, lang: Lang = ENGLISH
    ) -> None:
        """lang: the label's language (the requester's; a click rebuilds it in English, unseen)."""
        options = options or StyleOptions()
        code = encode_options(options)
        super().__init__(
            discord.ui.Button(
                label=lang(DC_RESTYLE_BUTTON).format(style=style),
                style=discord.ButtonStyle.secondary,
                custom_id=f"toon:re:{style}" + (f":{code}" if code else ""),
            )
        )
        self.style = style
        self.options = options
        self.problem: BadStyleOption | None = None  # a corrupted options code

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[discord.Client],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> RestyleButton:
        """Rebuild the button from a click."""
        try:
            options = decode_options(match["options"] or "")
        except BadStyleOption as exc:
            button = cls(match["style"])
            button.problem = exc
            return button
        return cls(match["style"], options)

    async def callback(self, interaction: discord.Interaction[discord.Client]) -> None:
        """Hand the click to the bot's pipeline; a corrupted button is answered privately."""
        if self.problem is not None:
            text = error_message(self.problem, lang_for(interaction.locale))
            await interaction.response.send_message(text, ephemeral=True)
            return
        await handlers_of(interaction.client).restyle(interaction, self.style, self.options)


class DeleteButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"toon:del:(?P<user>\d{1,20})",
):
    """Delete the result message; only the person who asked for it may."""

    def __init__(self, requester: int, lang: Lang = ENGLISH) -> None:
        super().__init__(
            discord.ui.Button(
                label=lang(DC_DELETE_BUTTON),
                style=discord.ButtonStyle.danger,
                custom_id=f"toon:del:{requester}",
            )
        )
        self.requester = requester

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[discord.Client],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> DeleteButton:
        """Rebuild the button from a click."""
        return cls(int(match["user"]))

    async def callback(self, interaction: discord.Interaction[discord.Client]) -> None:
        """Delete the message for its requester; tell anyone else, privately, that they can't."""
        if interaction.user.id != self.requester:
            text = lang_for(interaction.locale)(DC_DELETE_NOT_YOURS)
            await interaction.response.send_message(text, ephemeral=True)
            return
        # For a button, the interaction's original response is the message it sits on; deleting
        # through the interaction works even where the bot can't manage messages.
        await interaction.response.defer()
        await interaction.delete_original_response()


class CancelButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"toon:cancel:(?P<job>[0-9a-f]{1,32})",
):
    """Stop a clip in progress; under the requester's private status line."""

    def __init__(self, job_id: str, lang: Lang = ENGLISH) -> None:
        super().__init__(
            discord.ui.Button(
                label=lang(CANCEL_BUTTON),
                style=discord.ButtonStyle.secondary,
                custom_id=f"toon:cancel:{job_id}",
            )
        )
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[discord.Client],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> CancelButton:
        """Rebuild the button from a click."""
        return cls(match["job"])

    async def callback(self, interaction: discord.Interaction[discord.Client]) -> None:
        """Hand the click to the bot's pipeline, which checks who clicked."""
        await handlers_of(interaction.client).cancel(interaction, self.job_id)


def cancel_view(job_id: str, lang: Lang = ENGLISH) -> discord.ui.View:
    """The Cancel button under a clip's status line."""
    view = discord.ui.View(timeout=None)
    view.add_item(CancelButton(job_id, lang))
    return view


def result_view(
    styles: tuple[str, ...],
    current: str,
    requester: int,
    options: StyleOptions | None = None,
    lang: Lang = ENGLISH,
) -> discord.ui.View:
    """Buttons under a result: one per other style (keeping `options`), then Delete; labelled
    in the requester's `lang` (the result is public, but they asked for it)."""
    view = discord.ui.View(timeout=None)
    for style in styles:
        if style != current:
            view.add_item(RestyleButton(style, options, lang))
    view.add_item(DeleteButton(requester, lang))
    return view

"""The application commands: /toon, "Toonify", /toon-help, /toon-style, /toon-quota,
/toon-privacy, /toon-forget and the /toon-admin group.

Definitions only: each callback finds the running bot's handlers on `interaction.client`, so the
same definitions serve the bot and `toonbot discord-sync` (which has no engine or database).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Protocol

import discord
from discord import app_commands

if TYPE_CHECKING:
    from engine.styles.options import StyleOptions

__all__ = ["ADMIN_GROUP", "AppCommand", "Handlers", "LimitName", "build_commands", "handlers_of"]

Interaction = discord.Interaction[discord.Client]
AppCommand = app_commands.Command[Any, ..., Any] | app_commands.ContextMenu | app_commands.Group
LimitName = Literal["daily_per_user", "per_chat_per_hour", "cooldown_s"]

ADMIN_GROUP = "toon-admin"


class Handlers(Protocol):
    """What the commands and buttons call on the running bot."""

    async def toon(
        self,
        interaction: Interaction,
        image: discord.Attachment,
        style: str | None,
        texture: float | None = None,
        color: float | None = None,
    ) -> None:
        """/toon: draw an attached picture, with the texture and color options if given."""

    async def toonify(self, interaction: Interaction, message: discord.Message) -> None:
        """The "Toonify" message menu: draw the message's picture."""

    async def restyle(self, interaction: Interaction, style: str, options: StyleOptions) -> None:
        """A re-run button: draw the result's source picture in `style` with `options`."""

    async def cancel(self, interaction: Interaction, job_id: str) -> None:
        """The Cancel button under a clip's status: stop it, for its requester only."""

    async def source_deleted(self, message_id: int) -> None:
        """A message was deleted: stop the clip being drawn from it, if any."""

    async def show_help(self, interaction: Interaction) -> None:
        """/toon-help: how to use the bot, the styles, and a sample picture."""

    async def set_style(self, interaction: Interaction, style: str) -> None:
        """/toon-style: remember the user's usual style."""

    async def set_server_style(self, interaction: Interaction, style: str) -> None:
        """/toon-admin set-style: the server's default style, for server managers only."""

    async def show_quota(self, interaction: Interaction) -> None:
        """/toon-quota: what the user has left."""

    async def show_privacy(self, interaction: Interaction) -> None:
        """/toon-privacy: what is kept about the user, for how long, and how to delete it."""

    async def forget(self, interaction: Interaction) -> None:
        """/toon-forget: delete the user's preferences and history."""

    async def show_limits(self, interaction: Interaction) -> None:
        """/toon-admin limits."""

    async def set_limit(self, interaction: Interaction, name: LimitName, value: int) -> None:
        """/toon-admin set-*: change one of the server's limits."""


def handlers_of(client: discord.Client) -> Handlers:
    """The handlers the running bot hung on its client."""
    handlers: Handlers | None = getattr(client, "handlers", None)
    if handlers is None:
        raise RuntimeError("this client serves no toonbot commands")
    return handlers


def build_commands(styles: tuple[str, ...]) -> list[AppCommand]:
    """Every application command, with `styles` as the choices of /toon's style option."""
    choices = [app_commands.Choice(name=name, value=name) for name in styles]

    @app_commands.command(name="toon", description="Redraw a picture as webtoon art")
    @app_commands.describe(
        image="A JPEG, PNG or WebP photo",
        style="The style to draw it in",
        texture="Painted texture and detail lines, 0 (flat, clean) to 1 (busy); e.g. 0.2",
        color="Colour vividness, 0 (muted) to 1 (vivid); e.g. 0.9",
    )
    @app_commands.choices(style=choices)
    async def toon(
        interaction: Interaction,
        image: discord.Attachment,
        style: app_commands.Choice[str] | None = None,
        texture: app_commands.Range[float, 0.0, 1.0] | None = None,
        color: app_commands.Range[float, 0.0, 1.0] | None = None,
    ) -> None:
        await handlers_of(interaction.client).toon(
            interaction, image, style.value if style else None, texture, color
        )

    async def toonify(interaction: Interaction, message: discord.Message) -> None:
        await handlers_of(interaction.client).toonify(interaction, message)

    @app_commands.command(name="toon-help", description="How to use me, with a sample")
    async def toon_help(interaction: Interaction) -> None:
        await handlers_of(interaction.client).show_help(interaction)

    @app_commands.command(name="toon-style", description="Pick your usual style")
    @app_commands.describe(style="The style your pictures are drawn in when you pick none")
    @app_commands.choices(style=choices)
    async def toon_style(interaction: Interaction, style: app_commands.Choice[str]) -> None:
        await handlers_of(interaction.client).set_style(interaction, style.value)

    @app_commands.command(name="toon-quota", description="How many pictures you have left")
    async def toon_quota(interaction: Interaction) -> None:
        await handlers_of(interaction.client).show_quota(interaction)

    @app_commands.command(name="toon-privacy", description="What I keep about you")
    async def toon_privacy(interaction: Interaction) -> None:
        await handlers_of(interaction.client).show_privacy(interaction)

    @app_commands.command(name="toon-forget", description="Delete what I keep about you")
    async def toon_forget(interaction: Interaction) -> None:
        await handlers_of(interaction.client).forget(interaction)

    # default_permissions only hides the group; server admins can change who sees it, so the
    # handlers check the permission again on every call.
    admin = app_commands.Group(
        name=ADMIN_GROUP,
        description="See or change this server's picture limits and default style",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    @admin.command(name="limits", description="Show this server's limits")
    async def limits(interaction: Interaction) -> None:
        await handlers_of(interaction.client).show_limits(interaction)

    @admin.command(name="set-daily", description="Pictures per person per day")
    @app_commands.describe(value="How many pictures each person may have per day")
    async def set_daily(interaction: Interaction, value: int) -> None:
        await handlers_of(interaction.client).set_limit(interaction, "daily_per_user", value)

    @admin.command(name="set-hourly", description="Pictures per hour for the whole server")
    @app_commands.describe(value="How many pictures the server may have per hour (0: no limit)")
    async def set_hourly(interaction: Interaction, value: int) -> None:
        await handlers_of(interaction.client).set_limit(interaction, "per_chat_per_hour", value)

    @admin.command(name="set-cooldown", description="Seconds between one person's pictures")
    @app_commands.describe(value="Seconds each person waits between pictures (0: none)")
    async def set_cooldown(interaction: Interaction, value: int) -> None:
        await handlers_of(interaction.client).set_limit(interaction, "cooldown_s", value)

    @admin.command(name="set-style", description="The style for everyone who picked none")
    @app_commands.describe(style="This server's default style")
    @app_commands.choices(style=choices)
    async def set_style(interaction: Interaction, style: app_commands.Choice[str]) -> None:
        await handlers_of(interaction.client).set_server_style(interaction, style.value)

    # The context_menu decorator only works at module level, so this one is built by hand.
    menu = app_commands.ContextMenu(name="Toonify", callback=toonify)
    return [toon, menu, toon_help, toon_style, toon_quota, toon_privacy, toon_forget, admin]

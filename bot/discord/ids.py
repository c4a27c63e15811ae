"""How Discord users and servers are named to the quota service and the engine."""

from __future__ import annotations

import discord

__all__ = ["chat_key", "server_key", "user_key"]


def user_key(user_id: int) -> str:
    """The platform-prefixed id the quota service and the engine know a Discord user by."""
    return f"dc:{user_id}"


def chat_key(interaction: discord.Interaction[discord.Client]) -> str:
    """The quota "chat" of an interaction: its server, or the DM channel outside servers."""
    if interaction.guild_id is not None:
        return f"dc:{interaction.guild_id}"
    return f"dc:dm:{interaction.channel_id}"


def server_key(interaction: discord.Interaction[discord.Client]) -> str | None:
    """The key a server's default style is remembered under; None outside servers."""
    if interaction.guild_id is None:
        return None
    # Beside the users' styles (bot.pipeline.StyleMemory); snowflakes never collide with theirs,
    # and the "server:" part keeps it apart from the quota "chat" of the same server.
    return f"dc:server:{interaction.guild_id}"

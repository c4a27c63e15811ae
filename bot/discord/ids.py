"""How Discord users and servers are named to the quota service and the engine."""

from __future__ import annotations

import discord

__all__ = ["chat_key", "user_key"]


def user_key(user_id: int) -> str:
    """The platform-prefixed id the quota service and the engine know a Discord user by."""
    return f"dc:{user_id}"


def chat_key(interaction: discord.Interaction[discord.Client]) -> str:
    """The quota "chat" of an interaction: its server, or the DM channel outside servers."""
    if interaction.guild_id is not None:
        return f"dc:{interaction.guild_id}"
    return f"dc:dm:{interaction.channel_id}"

"""`toonbot discord-sync`: publish the application commands once, globally or to one server."""

from __future__ import annotations

import discord

from bot.discord.frontend import ToonClient

__all__ = ["sync_commands"]


async def sync_commands(token: str, styles: tuple[str, ...], guild_id: int | None = None) -> int:
    """Bulk-overwrite the bot's commands (on one server if `guild_id`); return how many."""
    # REST only: login fetches the application id the command routes need; no gateway.
    client = ToonClient(styles)
    try:
        await client.login(token)
        if guild_id is None:
            synced = await client.tree.sync()
        else:
            guild = discord.Object(id=guild_id)
            # Server commands show up at once, global ones can take a while: handy for testing.
            client.tree.copy_global_to(guild=guild)
            synced = await client.tree.sync(guild=guild)
    finally:
        await client.close()
    return len(synced)

"""The Discord frontend. Inside this package `import discord` still means discord.py."""

from bot.discord.frontend import DiscordFrontend, DiscordStartError
from bot.discord.sync import sync_commands

__all__ = ["DiscordFrontend", "DiscordStartError", "sync_commands"]

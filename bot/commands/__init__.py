"""The `toonbot` subcommands, one module each, in the order `toonbot --help` lists them.

Each module defines COMMAND (a bot.commands.base.Command); bot/cli.py builds the parser from
this table and runs the chosen row. Importing the package imports nothing heavy.
"""

from __future__ import annotations

from bot.commands import db, discord_sync, doctor, engine_serve, models, run, styles, toon
from bot.commands.base import Command

__all__ = ["COMMANDS", "Command"]

COMMANDS: tuple[Command, ...] = (
    toon.COMMAND,
    styles.COMMAND,
    run.COMMAND,
    doctor.COMMAND,
    engine_serve.COMMAND,
    discord_sync.COMMAND,
    models.COMMAND,
    db.COMMAND,
)

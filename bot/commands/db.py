"""`toonbot db upgrade`: apply the quota database's schema migrations up to the newest."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bot.commands.base import Command

if TYPE_CHECKING:
    from bot.config import Config

__all__ = ["COMMAND"]


def _arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    actions.add_parser("upgrade", help="apply the schema migrations up to the newest")


def _db_upgrade(args: argparse.Namespace, config: Config) -> int:
    import asyncio

    from bot.db import Database, DatabaseError

    async def upgrade() -> tuple[str, str | None]:
        # Opening the database migrates it to head.
        async with Database(config.database, config.secrets.database_url) as db:
            return db.url, await db.revision()

    try:
        url, revision = asyncio.run(upgrade())
    except DatabaseError as exc:
        print(f"toonbot: {exc}", file=sys.stderr)
        return 1
    print(f"{url} is at revision {revision} (head)")
    return 0


COMMAND = Command("db", "manage the quota database", _db_upgrade, _arguments)

"""One bot process's quota traffic: `python -m tests.bot.quota_worker URL ATTEMPTS GO_FILE`.

Opens its own Database (migrating it, like a bot starting), prints "ready", waits for GO_FILE so
every process consumes at once, then prints how many of its ATTEMPTS concurrent consumes got a grant.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.config import DatabaseSettings, QuotaSettings
from bot.db import Database
from bot.quota import Grant, QuotaExceeded, QuotaService

USER = "dc:7"
CHAT = "dc:guild"
LIMIT = 10


async def main(url: str, attempts: int, go: Path) -> None:
    """Consume `attempts` times at once once `go` exists; print the number granted."""
    async with Database(DatabaseSettings(), url) as db:
        quota = QuotaService(db, QuotaSettings(daily_per_user=LIMIT, cooldown_s=0))
        print("ready", flush=True)
        while not go.exists():
            await asyncio.sleep(0.01)
        results = await asyncio.gather(
            *(quota.consume(USER, CHAT, platform="discord") for _ in range(attempts)),
            return_exceptions=True,
        )
    granted = sum(isinstance(r, Grant) for r in results)
    refused = sum(isinstance(r, QuotaExceeded) for r in results)
    if granted + refused != attempts:
        raise SystemExit(f"unexpected results: {results!r}")
    print(granted, flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])))

"""The sections of config.toml that belong to the bot, each a frozen dataclass checking itself.

bot.config assembles them (with the engine's own sections) into one Config; import them from
there.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "QUOTA_LIMIT_RANGES",
    "BotSettings",
    "DatabaseSettings",
    "DiscordSettings",
    "LoggingSettings",
    "MemorySettings",
    "MetricsSettings",
    "OutputSettings",
    "QuotaSettings",
    "Secrets",
    "StyleSettings",
    "TelegramSettings",
]

# Inclusive bounds shared by config.toml and the admin commands that override limits per chat.
QUOTA_LIMIT_RANGES: Mapping[str, tuple[int, int]] = types.MappingProxyType(
    {
        "daily_per_user": (0, 1000),
        "per_chat_per_hour": (0, 10_000),
        "cooldown_s": (0, 86_400),
    }
)


@dataclass(frozen=True, slots=True)
class OutputSettings:
    """How results are encoded."""

    format: Literal["png", "jpeg"] = "png"
    jpeg_quality: int = 92

    def __post_init__(self) -> None:
        if self.format not in ("png", "jpeg"):
            raise ValueError(f"output.format must be png or jpeg, not {self.format!r}")
        if not 1 <= self.jpeg_quality <= 100:
            raise ValueError("output.jpeg_quality must be between 1 and 100")


@dataclass(frozen=True, slots=True)
class BotSettings:
    """Which bot process this is, among those sharing one database."""

    # Open charges carry it; at start-up a process refunds only its own instance's leftovers,
    # so every process sharing a database needs a different name.
    instance: str = "default"

    def __post_init__(self) -> None:
        name = self.instance
        if not 0 < len(name) <= 64 or not name.isprintable() or any(c.isspace() for c in name):
            raise ValueError(f"bot.instance must be 1..64 characters without spaces: {name!r}")


@dataclass(frozen=True, slots=True)
class StyleSettings:
    """Which style a user gets when they do not pick one."""

    default: str = "webtoon"


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """Telegram frontend switches (the token comes from the environment)."""

    enabled: bool = True
    # Where the Bot API lives: a self-hosted telegram-bot-api server, or a test double.
    api_url: str = "https://api.telegram.org"

    def __post_init__(self) -> None:
        if not self.api_url.startswith(("https://", "http://")):
            raise ValueError(f"telegram.api_url must be an http(s) URL, not {self.api_url!r}")


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    """Discord frontend switches (the token comes from the environment)."""

    enabled: bool = True
    # 0: one gateway connection (a plain Client). "auto": as many shards as Discord recommends
    # (GET /gateway/bot). N: exactly N shards (an AutoShardedClient either way).
    shards: int | Literal["auto"] = 0
    # Which of the N shards this process runs, to split one bot over several processes;
    # () = all of them. Needs an explicit shard count.
    shard_ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        shards = self.shards
        if shards != "auto" and (
            isinstance(shards, bool) or not isinstance(shards, int) or not 0 <= shards <= 4096
        ):
            raise ValueError(f'discord.shards must be "auto" or 0..4096, not {shards!r}')
        ids = self.shard_ids
        if not isinstance(ids, list | tuple) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in ids
        ):
            raise ValueError(f"discord.shard_ids must be a list of shard numbers, not {ids!r}")
        object.__setattr__(self, "shard_ids", tuple(ids))
        if ids and (shards == "auto" or shards == 0):
            raise ValueError("discord.shard_ids needs discord.shards set to the total shard count")
        bad = [i for i in ids if not 0 <= i < int(shards)] if ids else []
        if bad or len(set(ids)) != len(ids):
            raise ValueError(
                f"discord.shard_ids must be distinct numbers from 0 to {int(shards) - 1}, not {ids!r}"
            )


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    """Where quotas live when $TOONBOT_DATABASE_URL is not set, and how SQLite waits for locks."""

    # "" = toonbot.sqlite3 in the data directory (bot.paths); bot.config replaces "" with that
    # absolute path. Relative paths are relative to the working directory the bot starts in.
    sqlite_path: str = ""
    # How long a connection waits for another writer before SQLite reports "database is locked".
    busy_timeout_ms: int = 5000
    # Seconds (1..86400) between two purges of quota rows that can no longer matter (counters
    # of past days, old cooldown marks); the bots purge once at start-up, then at this pace.
    purge_interval_s: float = 3600.0

    def __post_init__(self) -> None:
        if self.sqlite_path and not self.sqlite_path.strip():
            raise ValueError('database.sqlite_path must be a path, or "" for the default')
        if isinstance(self.busy_timeout_ms, bool) or not 0 <= self.busy_timeout_ms <= 600_000:
            raise ValueError("database.busy_timeout_ms must be between 0 and 600000")
        if not 1 <= self.purge_interval_s <= 86_400:
            raise ValueError(
                f"database.purge_interval_s must be between 1 and 86400, not {self.purge_interval_s!r}"
            )


@dataclass(frozen=True, slots=True)
class QuotaSettings:
    """Default limits; admins can override each one per chat."""

    # Photos one user may toon per UTC day in one chat; 0 refuses every photo.
    daily_per_user: int = 20
    # Seconds a user waits between two photos; 0 disables the cooldown.
    cooldown_s: int = 10
    # Photos one chat may toon per clock hour, all users together; 0 means unlimited.
    per_chat_per_hour: int = 0

    def __post_init__(self) -> None:
        for name, (low, high) in QUOTA_LIMIT_RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not low <= value <= high:
                raise ValueError(f"quota.{name} must be between {low} and {high}, not {value!r}")


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    """How much `toonbot run` logs, and whether as text or one JSON object per line."""

    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["text", "json"] = "text"

    def __post_init__(self) -> None:
        if self.level not in ("debug", "info", "warning", "error"):
            raise ValueError(
                f"logging.level must be debug, info, warning or error, not {self.level!r}"
            )
        if self.format not in ("text", "json"):
            raise ValueError(f"logging.format must be text or json, not {self.format!r}")


@dataclass(frozen=True, slots=True)
class MetricsSettings:
    """Where Prometheus scrapes /metrics; port 0 serves nothing."""

    port: int = 0
    # Loopback by default: the numbers are not secret, but nothing should listen unasked.
    host: str = "127.0.0.1"

    def __post_init__(self) -> None:
        if isinstance(self.port, bool) or not 0 <= self.port <= 65535:
            raise ValueError(f"metrics.port must be between 0 and 65535, not {self.port!r}")
        if not self.host.strip():
            raise ValueError("metrics.host must not be empty")


@dataclass(frozen=True, slots=True)
class MemorySettings:
    """How many bytes of uploads may be downloaded and decoded at once, all users together."""

    # MiB (16..65536) of uploads in flight, as bot.budget estimates them (a 20 MB video ~50 MB).
    inflight_mb: int = 256
    # Seconds (0..120) a request over the budget waits for room before "busy, try again".
    busy_wait_s: float = 10.0

    def __post_init__(self) -> None:
        mb = self.inflight_mb
        if isinstance(mb, bool) or not isinstance(mb, int) or not 16 <= mb <= 65536:
            raise ValueError(f"memory.inflight_mb must be between 16 and 65536, not {mb!r}")
        if not 0 <= self.busy_wait_s <= 120:
            raise ValueError(
                f"memory.busy_wait_s must be between 0 and 120, not {self.busy_wait_s!r}"
            )


@dataclass(frozen=True, slots=True)
class Secrets:
    """Values that never live in config.toml."""

    telegram_token: str | None = field(default=None, repr=False)
    discord_token: str | None = field(default=None, repr=False)
    database_url: str | None = field(default=None, repr=False)

    def values(self) -> tuple[str, ...]:
        """The secrets that are set, for the log filter to mask wherever they appear."""
        present = (self.telegram_token, self.discord_token, self.database_url)
        return tuple(v for v in present if v)

"""One typed, validated configuration object, loaded from config.toml and the environment."""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from engine.config import EngineConfig
from engine.imageio import ImageLimits
from engine.neural.cards import ModelSettings
from engine.video.probe import VideoLimits

__all__ = [
    "CONFIG_ENV",
    "DATABASE_URL_ENV",
    "DISCORD_TOKEN_ENV",
    "QUOTA_LIMIT_RANGES",
    "TELEGRAM_TOKEN_ENV",
    "BotSettings",
    "Config",
    "ConfigError",
    "DatabaseSettings",
    "DiscordSettings",
    "LoggingSettings",
    "MemorySettings",
    "MetricsSettings",
    "ModelSettings",
    "OutputSettings",
    "QuotaSettings",
    "Secrets",
    "StyleSettings",
    "TelegramSettings",
    "VideoLimits",
    "check_device",
    "load_config",
    "state_dir",
]

CONFIG_ENV = "TOONBOT_CONFIG"
TELEGRAM_TOKEN_ENV = "TOONBOT_TELEGRAM_TOKEN"
DISCORD_TOKEN_ENV = "TOONBOT_DISCORD_TOKEN"
DATABASE_URL_ENV = "TOONBOT_DATABASE_URL"

# Inclusive bounds shared by config.toml and the admin commands that override limits per chat.
QUOTA_LIMIT_RANGES: Mapping[str, tuple[int, int]] = types.MappingProxyType(
    {
        "daily_per_user": (0, 1000),
        "per_chat_per_hour": (0, 10_000),
        "cooldown_s": (0, 86_400),
    }
)

T = TypeVar("T")


class ConfigError(ValueError):
    """config.toml is unreadable, has an unknown key, or a value of the wrong type or range."""


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

    # Relative paths are relative to the working directory the bot is started from.
    sqlite_path: str = "toonbot.sqlite3"
    # How long a connection waits for another writer before SQLite reports "database is locked".
    busy_timeout_ms: int = 5000
    # Seconds (1..86400) between two purges of quota rows that can no longer matter (counters
    # of past days, old cooldown marks); the bots purge once at start-up, then at this pace.
    purge_interval_s: float = 3600.0

    def __post_init__(self) -> None:
        if not self.sqlite_path.strip():
            raise ValueError("database.sqlite_path must not be empty")
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


@dataclass(frozen=True, slots=True)
class Config:
    """Everything ToonBot reads at start-up."""

    bot: BotSettings = field(default_factory=BotSettings)
    engine: EngineConfig = field(default_factory=EngineConfig)
    images: ImageLimits = field(default_factory=ImageLimits)
    video: VideoLimits = field(default_factory=VideoLimits)
    output: OutputSettings = field(default_factory=OutputSettings)
    styles: StyleSettings = field(default_factory=StyleSettings)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    quota: QuotaSettings = field(default_factory=QuotaSettings)
    models: ModelSettings = field(default_factory=ModelSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    memory: MemorySettings = field(default_factory=MemorySettings)
    secrets: Secrets = field(default_factory=Secrets)


_SECTIONS: dict[str, type[Any]] = {
    "bot": BotSettings,
    "engine": EngineConfig,
    "images": ImageLimits,
    "video": VideoLimits,
    "output": OutputSettings,
    "styles": StyleSettings,
    "telegram": TelegramSettings,
    "discord": DiscordSettings,
    "database": DatabaseSettings,
    "quota": QuotaSettings,
    "models": ModelSettings,
    "logging": LoggingSettings,
    "metrics": MetricsSettings,
    "memory": MemorySettings,
}


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read config.toml (path, $TOONBOT_CONFIG, or ./config.toml if present) plus secrets from env."""
    env = os.environ if env is None else env
    if path is None and env.get(CONFIG_ENV):
        path = Path(env[CONFIG_ENV])
    if path is None and Path("config.toml").is_file():
        path = Path("config.toml")
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file {path} does not exist") from exc
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
    return parse_config(data, env, source=str(path or "defaults"))


def parse_config(
    data: Mapping[str, Any], env: Mapping[str, str], *, source: str = "config"
) -> Config:
    """Build a validated Config from a parsed TOML mapping and the environment."""
    unknown = set(data) - set(_SECTIONS)
    if unknown:
        raise ConfigError(f"{source}: unknown section(s) {', '.join(sorted(unknown))}")
    sections: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        table = data.get(name, {})
        if not isinstance(table, Mapping):
            raise ConfigError(f"{source}: [{name}] must be a table")
        sections[name] = _build(cls, table, f"{source}: [{name}]")
    secrets = Secrets(
        telegram_token=env.get(TELEGRAM_TOKEN_ENV) or None,
        discord_token=env.get(DISCORD_TOKEN_ENV) or None,
        database_url=env.get(DATABASE_URL_ENV) or None,
    )
    if secrets.database_url is not None:
        _check_database_url(secrets.database_url)
    config = Config(**sections, secrets=secrets)
    _check_default_style(config, source)
    return config


def state_dir(config: Config) -> Path:
    """Where this install keeps its own files (the log key): the SQLite database's folder, or
    $XDG_STATE_HOME/toonbot (~/.local/state/toonbot) when $TOONBOT_DATABASE_URL is set."""
    if config.secrets.database_url is None:
        return Path(config.database.sqlite_path).expanduser().absolute().parent
    base = os.environ.get("XDG_STATE_HOME") or str(Path("~/.local/state").expanduser())
    return Path(base) / "toonbot"


def check_device(config: Config) -> None:
    """ConfigError if [engine] device asks for CUDA on a machine where torch sees none.

    Run before a local engine starts (it imports torch, so load_config leaves it out); with
    engine.backend = "ray" the device belongs to the replicas, elsewhere, and is not checked.
    """
    if config.engine.backend != "local" or config.engine.device != "cuda":
        return
    import torch

    if not torch.cuda.is_available():
        raise ConfigError(
            '[engine] device = "cuda" but torch sees no CUDA device here: '
            'set device = "auto" (or "cpu"), or install a CUDA build of torch'
        )


def _check_database_url(url: str) -> None:
    """ConfigError unless `url` parses as a SQLAlchemy URL of a dialect SQLAlchemy knows.

    The value itself is never repeated: it may carry a password.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        make_url(url).get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        kind = (
            "names no database SQLAlchemy knows"
            if isinstance(exc, NoSuchModuleError)  # a subclass of ArgumentError
            else "is not a database URL"
        )
        raise ConfigError(
            f"{DATABASE_URL_ENV} {kind}: set it to e.g. "
            "postgresql+asyncpg://user:password@host/dbname, "
            "or unset it to keep quotas in [database] sqlite_path"
        ) from None


def _check_default_style(config: Config, source: str) -> None:
    """ConfigError unless [styles] default names a built-in style or an installed model's."""
    from engine.neural.cards import CardError
    from engine.styles import describe_styles

    try:
        known = describe_styles(config.models)
    except CardError:  # the broken card stops start-up with its own message
        return
    if config.styles.default not in known:
        raise ConfigError(
            f"{source}: [styles] default = {config.styles.default!r} is not a style; "
            f"set it to one of: {', '.join(known)}"
        )


def _build(cls: type[T], table: Mapping[str, Any], where: str) -> T:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(table) - names
    if unknown:
        raise ConfigError(f"{where} unknown key(s) {', '.join(sorted(unknown))}")
    values = {}
    for key, value in table.items():
        values[key] = _check_type(value, hints[key], f"{where} {key}")
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where} {exc}") from exc


def _check_type(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin is Literal:
        if value not in typing.get_args(hint):
            choices = ", ".join(repr(a) for a in typing.get_args(hint))
            raise ConfigError(f"{where} must be one of {choices}, not {value!r}")
        return value
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(hint):
            if arg is type(None) and value is None:
                return value
            try:
                return _check_type(value, arg, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where} has the wrong type: {value!r}")
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint in (int, float, str, bool) and (
        not isinstance(value, hint) or (hint is int and isinstance(value, bool))
    ):
        raise ConfigError(f"{where} must be {hint.__name__}, not {type(value).__name__} {value!r}")
    return value

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

from bot.paths import DATA_DIR_ENV, LOG_KEY_FILE, DataPaths, resolve_paths
from bot.settings import (
    QUOTA_LIMIT_RANGES,
    BotSettings,
    DatabaseSettings,
    DiscordSettings,
    LoggingSettings,
    MemorySettings,
    MetricsSettings,
    OutputSettings,
    QuotaSettings,
    Secrets,
    StyleSettings,
    TelegramSettings,
)
from engine.config import EngineConfig
from engine.limits import ImageLimits, VideoLimits
from engine.neural.cards import ModelSettings

__all__ = [
    "CONFIG_ENV",
    "DATABASE_URL_ENV",
    "DATA_DIR_ENV",
    "DISCORD_TOKEN_ENV",
    "QUOTA_LIMIT_RANGES",
    "TELEGRAM_TOKEN_ENV",
    "BotSettings",
    "Config",
    "ConfigError",
    "DataPaths",
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
    "environment_variables",
    "load_config",
    "state_dir",
]

CONFIG_ENV = "TOONBOT_CONFIG"
TELEGRAM_TOKEN_ENV = "TOONBOT_TELEGRAM_TOKEN"
DISCORD_TOKEN_ENV = "TOONBOT_DISCORD_TOKEN"
DATABASE_URL_ENV = "TOONBOT_DATABASE_URL"
# Read by state_dir only when the log key has to live outside the data directory (see there).
STATE_HOME_ENV = "XDG_STATE_HOME"


T = TypeVar("T")


class ConfigError(ValueError):
    """config.toml is unreadable, has an unknown key, or a value of the wrong type or range."""


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
    # The data directory and the resolved defaults in it; parse_config fills it in.
    paths: DataPaths = field(default_factory=lambda: resolve_paths("", "", os.environ))


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
    # "" in [database] sqlite_path and [models] cache_dir means the data directory's default;
    # from here on every consumer sees absolute paths.
    paths = resolve_paths(
        sections["database"].sqlite_path,
        sections["models"].cache_dir,
        env,
        sqlite=secrets.database_url is None,
    )
    sections["database"] = dataclasses.replace(
        sections["database"], sqlite_path=str(paths.sqlite_path)
    )
    sections["models"] = dataclasses.replace(sections["models"], cache_dir=str(paths.models_dir))
    config = Config(**sections, secrets=secrets, paths=paths)
    _check_default_style(config, source)
    return config


def environment_variables() -> tuple[str, ...]:
    """Every TOONBOT_* environment variable ToonBot reads; .env.example lists exactly these.

    Beside them only the platform's own XDG_DATA_HOME (through platformdirs) and, for an old
    log key, XDG_STATE_HOME are looked at.
    """
    return (TELEGRAM_TOKEN_ENV, DISCORD_TOKEN_ENV, DATABASE_URL_ENV, CONFIG_ENV, DATA_DIR_ENV)


def state_dir(config: Config) -> Path:
    """Where this install keeps its own files (the log key): the SQLite database's folder, or
    the data directory when $TOONBOT_DATABASE_URL is set.

    Older versions kept the key in $XDG_STATE_HOME/toonbot (~/.local/state/toonbot) with
    $TOONBOT_DATABASE_URL; a key found there and not in the data directory is kept in use, so
    the users' log tags do not change across the upgrade.
    """
    if config.secrets.database_url is None:
        return Path(config.database.sqlite_path).expanduser().absolute().parent
    base = os.environ.get(STATE_HOME_ENV) or str(Path("~/.local/state").expanduser())
    old = Path(base) / "toonbot"
    new = config.paths.data_dir
    if (old / LOG_KEY_FILE).is_file() and not (new / LOG_KEY_FILE).exists():
        return old
    return new


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

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

__all__ = [
    "CONFIG_ENV",
    "DATABASE_URL_ENV",
    "DISCORD_TOKEN_ENV",
    "TELEGRAM_TOKEN_ENV",
    "Config",
    "ConfigError",
    "DiscordSettings",
    "OutputSettings",
    "Secrets",
    "StyleSettings",
    "TelegramSettings",
    "load_config",
]

CONFIG_ENV = "TOONBOT_CONFIG"
TELEGRAM_TOKEN_ENV = "TOONBOT_TELEGRAM_TOKEN"
DISCORD_TOKEN_ENV = "TOONBOT_DISCORD_TOKEN"
DATABASE_URL_ENV = "TOONBOT_DATABASE_URL"

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
class StyleSettings:
    """Which style a user gets when they do not pick one."""

    default: str = "webtoon"


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """Telegram frontend switches (the token comes from the environment)."""

    enabled: bool = True


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    """Discord frontend switches (the token comes from the environment)."""

    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Secrets:
    """Values that never live in config.toml."""

    telegram_token: str | None = field(default=None, repr=False)
    discord_token: str | None = field(default=None, repr=False)
    database_url: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Config:
    """Everything ToonBot reads at start-up."""

    engine: EngineConfig = field(default_factory=EngineConfig)
    images: ImageLimits = field(default_factory=ImageLimits)
    output: OutputSettings = field(default_factory=OutputSettings)
    styles: StyleSettings = field(default_factory=StyleSettings)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    secrets: Secrets = field(default_factory=Secrets)


_SECTIONS: dict[str, type[Any]] = {
    "engine": EngineConfig,
    "images": ImageLimits,
    "output": OutputSettings,
    "styles": StyleSettings,
    "telegram": TelegramSettings,
    "discord": DiscordSettings,
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
    return Config(**sections, secrets=secrets)


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

"""Model cards: one TOML file per neural generator, loaded into a validated ModelCard."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "STANDALONE_CACHE_DIR",
    "CardError",
    "ModelCard",
    "ModelSettings",
    "cards_dir",
    "load_card",
    "load_cards",
    "weights_path",
]

Format = Literal["torch", "onnx"]
Layout = Literal["NCHW", "NHWC"]
ValueRange = Literal["[-1,1]", "[0,1]"]
Role = Literal["whole", "foreground", "background"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Architectures a torch state_dict card may name; engine.neural.style maps them to modules.
ARCHITECTURES: tuple[str, ...] = ("animeganv2",)
# The cards shipped with ToonBot: package data (engine/neural/model_cards/), in a wheel as in a
# checkout, where models/ links to it.
# Weights' folder when nothing names one: the engine alone knows no data directory.
STANDALONE_CACHE_DIR = "~/.cache/toonbot/models"
_BUNDLED_CARDS = Path(str(resources.files("engine.neural").joinpath("model_cards")))


class CardError(ValueError):
    """A model card is unreadable or has a missing, unknown or invalid key."""


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """Where model cards and downloaded weights live, and which installed models to serve."""

    # Downloaded weights; "~" is expanded. Never inside the repository. "" = the default: the bot
    # (bot.config) puts it in its data directory; the engine used alone falls back to
    # STANDALONE_CACHE_DIR.
    cache_dir: str = ""
    # Folder of *.toml cards; "" means the cards shipped with ToonBot (engine/neural/model_cards/).
    cards_dir: str = ""
    # Card names to serve when their weights are installed; empty means every installed one.
    enabled: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.cache_dir and not self.cache_dir.strip():
            raise ValueError('models.cache_dir must be a folder, or "" for the default')
        enabled = self.enabled
        if not isinstance(enabled, list | tuple) or not all(isinstance(n, str) for n in enabled):
            raise ValueError(f"models.enabled must be a list of model names, not {enabled!r}")
        # TOML gives a list; a tuple keeps the frozen settings hashable.
        object.__setattr__(self, "enabled", tuple(enabled))

    @property
    def cache_path(self) -> Path:
        """The cache directory with "~" expanded."""
        return Path(self.cache_dir or STANDALONE_CACHE_DIR).expanduser()


@dataclass(frozen=True, slots=True)
class ModelCard:
    """Everything needed to fetch, trust and run one neural generator."""

    name: str
    description: str
    format: Format
    file: str
    url: str
    licence: str
    commercial_use: bool
    layout: Layout
    value_range: ValueRange
    size_multiple: int
    role: Role = "whole"
    architecture: str = ""
    sha256: str = ""
    source: str = ""

    @property
    def verified(self) -> bool:
        """Whether the card pins a checksum for its weights."""
        return bool(self.sha256)


# key -> (expected Python type, required); "range" is the TOML spelling of value_range.
_KEYS: dict[str, tuple[type, bool]] = {
    "name": (str, True),
    "description": (str, True),
    "format": (str, True),
    "architecture": (str, False),
    "file": (str, True),
    "sha256": (str, False),
    "url": (str, True),
    "licence": (str, True),
    "commercial_use": (bool, True),
    "layout": (str, True),
    "range": (str, True),
    "size_multiple": (int, True),
    "role": (str, False),
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "format": ("torch", "onnx"),
    "layout": ("NCHW", "NHWC"),
    "range": ("[-1,1]", "[0,1]"),
    "role": ("whole", "foreground", "background"),
}


def load_card(path: Path) -> ModelCard:
    """Read and validate one card; CardError names the file and the offending key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CardError(f"{path}: cannot read model card: {exc}") from exc
    return parse_card(data, source=str(path))


def parse_card(data: Mapping[str, Any], *, source: str = "card") -> ModelCard:
    """Validate a parsed card mapping (see load_card)."""
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise CardError(f"{source}: unknown key(s) {', '.join(unknown)}")
    for key, (kind, required) in _KEYS.items():
        if key not in data:
            if required:
                raise CardError(f"{source}: missing key {key!r}")
            continue
        value = data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise CardError(f"{source}: {key} must be {kind.__name__}, not {value!r}")
        if key in _CHOICES and value not in _CHOICES[key]:
            raise CardError(f"{source}: {key} must be one of {', '.join(_CHOICES[key])}")
    values = dict(data)
    _check_semantics(values, source)
    values["value_range"] = values.pop("range")
    return ModelCard(**values, source=source)


def _check_semantics(values: dict[str, Any], source: str) -> None:
    if not _NAME.match(values["name"]):
        raise CardError(f"{source}: name must be lowercase letters, digits, - or _ (max 40)")
    # The file name becomes a path in the cache directory: no directories, no tricks.
    file = values["file"]
    if not file or file != Path(file).name or file.startswith("."):
        raise CardError(f"{source}: file must be a plain file name, not {file!r}")
    if not values["url"].startswith("https://"):
        raise CardError(f"{source}: url must be an https:// URL")
    sha = values.get("sha256", "")
    if sha and not _SHA256.match(sha):
        raise CardError(f"{source}: sha256 must be 64 lowercase hex digits or empty")
    if not 1 <= values["size_multiple"] <= 256:
        raise CardError(f"{source}: size_multiple must be between 1 and 256")
    arch = values.get("architecture", "")
    if values["format"] == "torch" and arch not in ARCHITECTURES:
        raise CardError(f"{source}: architecture must be one of {', '.join(ARCHITECTURES)}")
    if values["format"] == "onnx" and arch:
        raise CardError(f"{source}: architecture is only for torch cards")


def cards_dir(settings: ModelSettings) -> Path:
    """The folder the cards are read from."""
    return Path(settings.cards_dir).expanduser() if settings.cards_dir else _BUNDLED_CARDS


def load_cards(folder: Path) -> list[ModelCard]:
    """Every *.toml card in folder, sorted by name; duplicate names are an error."""
    cards: dict[str, ModelCard] = {}
    for path in sorted(folder.glob("*.toml")):
        card = load_card(path)
        if card.name in cards:
            raise CardError(
                f"{path}: name {card.name!r} is already used by {cards[card.name].source}"
            )
        cards[card.name] = card
    return [cards[name] for name in sorted(cards)]


def weights_path(card: ModelCard, settings: ModelSettings) -> Path:
    """Where the card's weights live once pulled."""
    return settings.cache_path / card.file

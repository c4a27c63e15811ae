"""Which carded models are installed, and the styles built from them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from engine.neural.cards import ModelCard, ModelSettings, cards_dir, load_cards, weights_path

if TYPE_CHECKING:
    import torch

    from engine.styles.base import Style

__all__ = [
    "InstalledModel",
    "build_neural_styles",
    "composite_plan",
    "describe_neural_styles",
    "model_status",
]

# The built-in style a foreground/background card is paired with in its composite.
COMPOSITE_PARTNER = "webtoon"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InstalledModel:
    """A card and where its weights are (or would be) in the cache."""

    card: ModelCard
    path: Path

    @property
    def installed(self) -> bool:
        """Whether the weights are present."""
        return self.path.is_file()


def model_status(settings: ModelSettings) -> list[InstalledModel]:
    """Every card in the cards folder with its weights location."""
    folder = cards_dir(settings)
    if not folder.is_dir():
        return []
    return [InstalledModel(card, weights_path(card, settings)) for card in load_cards(folder)]


def _selected(
    settings: ModelSettings, reserved: tuple[str, ...], *, report: bool
) -> list[InstalledModel]:
    chosen = []
    for model in model_status(settings):
        name = model.card.name
        if settings.enabled and name not in settings.enabled:
            continue
        if name in reserved:
            if report:
                log.warning("model card %s reuses a built-in style name; ignored", name)
            continue
        if not model.installed:
            # Only worth a word when someone asked for this model by name.
            if report:
                level = logging.WARNING if name in settings.enabled else logging.INFO
                log.log(level, "model %s not installed (toonbot models pull %s)", name, name)
            continue
        chosen.append(model)
    return chosen


def build_neural_styles(
    settings: ModelSettings, device: torch.device, reserved: tuple[str, ...] = ()
) -> dict[str, Style]:
    """Load a style for every enabled card whose weights are installed.

    A model whose file fails to load is left out with one error line, never raised.
    """
    styles: dict[str, Style] = {}
    from engine.neural.style import ModelLoadFailed, load_neural_style

    for model in _selected(settings, reserved, report=True):
        try:
            styles[model.card.name] = load_neural_style(model.card, model.path, device)
        except ModelLoadFailed as exc:
            # One bad file costs its own style (and composites built on it), nothing else.
            log.error("%s; style skipped (toonbot doctor checks every model)", exc)
            continue
        log.info("neural style %s loaded from %s", model.card.name, model.path)
    return styles


def describe_neural_styles(
    settings: ModelSettings, reserved: tuple[str, ...] = ()
) -> dict[str, str]:
    """Name -> description of the neural styles build_neural_styles would load."""
    return {m.card.name: m.card.description for m in _selected(settings, reserved, report=False)}


def composite_plan(
    settings: ModelSettings, reserved: tuple[str, ...] = ()
) -> list[tuple[str, str, str]]:
    """(name, foreground, background) for each installed card whose role is one pass of a pair.

    A "foreground" card draws the people over a webtoon background ("webtoon-<card>"); a
    "background" card draws behind webtoon people.
    """
    plan = []
    for model in _selected(settings, reserved, report=False):
        card = model.card.name
        if model.card.role == "foreground":
            plan.append((f"{COMPOSITE_PARTNER}-{card}", card, COMPOSITE_PARTNER))
        elif model.card.role == "background":
            plan.append((f"{COMPOSITE_PARTNER}-{card}", COMPOSITE_PARTNER, card))
    return [entry for entry in plan if entry[0] not in reserved]

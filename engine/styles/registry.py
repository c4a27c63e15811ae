"""The style registry: the built-in styles by name, then the installed neural ones.

Importing this module is cheap (no torch): describe_styles comes from engine.styles.catalog,
and build_styles imports the pipelines when it is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.analysis import MAX_FACES
from engine.styles import STYLE_NAMES
from engine.styles.catalog import describe_styles

if TYPE_CHECKING:
    import torch

    from engine.neural.cards import ModelSettings
    from engine.styles.base import Style

__all__ = ["build_styles", "describe_styles"]


def build_styles(
    device: torch.device | None = None,
    models: ModelSettings | None = None,
    *,
    person_aware: bool = True,
    max_faces: int = MAX_FACES,
    warp: float = 0.5,
) -> dict[str, Style]:
    """Construct the built-ins (STYLE_NAMES order), then every installed neural style.

    max_faces: faces analysed (and drawn) per image; warp: strength 0..1 of the portrait
    looks' proportion warp.
    """
    import functools

    import torch

    from engine.analysis import build_analyzer
    from engine.styles.classic import ClassicStyle
    from engine.styles.manhwa import ManhwaStyle
    from engine.styles.sketch import SketchStyle
    from engine.styles.webtoon import WebtoonStyle

    analyzer = functools.partial(build_analyzer, max_faces)
    # The built-ins are weightless and follow their input's device; only neural ones move.
    styles: dict[str, Style] = {
        "webtoon": WebtoonStyle(person_aware=person_aware, analyzer_factory=analyzer, warp=warp),
        "manhwa": ManhwaStyle(person_aware=person_aware, analyzer_factory=analyzer, warp=warp),
        "sketch": SketchStyle(),
        "classic": ClassicStyle(),
    }
    if models is not None:
        from engine.neural.registry import build_neural_styles

        target = device if device is not None else torch.device("cpu")
        styles.update(build_neural_styles(models, target, reserved=STYLE_NAMES))
        styles.update(_build_composites(styles, models))
    return styles


def _build_composites(styles: dict[str, Style], models: ModelSettings) -> dict[str, Style]:
    from engine.analysis import person_masker
    from engine.neural.registry import composite_plan
    from engine.neural.style import CompositeStyle

    masker = person_masker()
    return {
        name: CompositeStyle(name, styles[fg], styles[bg], masker)
        for name, fg, bg in composite_plan(models, reserved=STYLE_NAMES)
        if fg in styles and bg in styles
    }

"""What each style is called and does, in words: torch-free, so listing styles stays quick.

The style classes read their `description` from DESCRIPTIONS; `toonbot styles` and the config
check read it here without importing the pipelines (torch, seconds of start-up).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.styles import STYLE_NAMES

if TYPE_CHECKING:
    from engine.neural.cards import ModelSettings

__all__ = ["DESCRIPTIONS", "describe_styles"]

# One line each, shown by `toonbot styles`, /help and /toon-help; keys in STYLE_NAMES order.
DESCRIPTIONS: dict[str, str] = {
    "webtoon": (
        "Korean-webtoon look: faces drawn (eyes, brows, lips, painted skin and hair), "
        "flat cel-shaded colour, clean ink outlines, vivid palette."
    ),
    "manhwa": "Black-and-white manhwa: inked faces drawn from the photo, screentone shading.",
    "sketch": "Pencil sketch: dark graphite lines on white paper.",
    "classic": "Classic OpenCV cartoonify: bilateral-smoothed colour, thresholded edges.",
}


def describe_styles(models: ModelSettings | None = None) -> dict[str, str]:
    """Style name -> one-line description, without constructing (or importing) any style."""
    described = {name: DESCRIPTIONS[name] for name in STYLE_NAMES}
    if models is not None:
        from engine.neural.registry import composite_plan, describe_neural_styles

        described.update(describe_neural_styles(models, reserved=STYLE_NAMES))
        for name, fg, bg in composite_plan(models, reserved=STYLE_NAMES):
            described[name] = f"{fg} on people, {bg} behind them"
    return described

"""Stylization pipelines and their registry."""

from __future__ import annotations

import torch

from engine.errors import UnknownStyle
from engine.styles.base import Style
from engine.styles.classic import ClassicStyle
from engine.styles.sketch import SketchStyle
from engine.styles.webtoon import WebtoonStyle

__all__ = ["STYLE_NAMES", "Style", "build_styles", "describe_styles", "get_style"]

STYLE_NAMES: tuple[str, ...] = ("webtoon", "sketch", "classic")

_CLASSES: dict[str, type[WebtoonStyle] | type[SketchStyle] | type[ClassicStyle]] = {
    "webtoon": WebtoonStyle,
    "sketch": SketchStyle,
    "classic": ClassicStyle,
}


def build_styles(device: torch.device | None = None) -> dict[str, Style]:
    """Construct every style, in STYLE_NAMES order, ready to run on device."""
    # The styles are weightless and follow their input's device, so nothing is moved here;
    # device stays in the signature for styles that will carry weights.
    del device
    return {name: _CLASSES[name]() for name in STYLE_NAMES}


def describe_styles() -> dict[str, str]:
    """Style name -> one-line description, without constructing anything."""
    return {name: _CLASSES[name].description for name in STYLE_NAMES}


def get_style(styles: dict[str, Style], name: str) -> Style:
    """Look a style up by name, raising UnknownStyle with the names that do exist."""
    try:
        return styles[name]
    except KeyError:
        raise UnknownStyle(name, tuple(styles)) from None

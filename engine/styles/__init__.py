"""Stylization pipelines and their registry (engine.styles.registry).

Importing this package is cheap (no torch): job and option types under it can be named by code
that draws nothing. The pipelines load when build_styles, describe_styles or Style is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.styles.base import Style
    from engine.styles.registry import build_styles, describe_styles

__all__ = ["STYLE_NAMES", "Style", "build_styles", "describe_styles"]

STYLE_NAMES: tuple[str, ...] = ("webtoon", "manhwa", "sketch", "classic")


def __getattr__(name: str) -> Any:
    # PEP 562: the heavy names resolve on first use.
    if name in ("build_styles", "describe_styles"):
        from engine.styles import registry

        return getattr(registry, name)
    if name == "Style":
        from engine.styles.base import Style

        return Style
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""`toonbot styles`: list the available styles."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bot.commands.base import Command

if TYPE_CHECKING:
    from bot.config import Config

__all__ = ["COMMAND"]


def _styles(args: argparse.Namespace, config: Config) -> int:
    from engine.neural.cards import CardError
    from engine.styles import describe_styles

    try:
        described = describe_styles(config.models)
    except CardError as exc:
        print(f"toonbot: {exc}", file=sys.stderr)
        return 2
    for name, description in described.items():
        print(f"{name:<10} {description}")
    return 0


COMMAND = Command("styles", "list the available styles", _styles)

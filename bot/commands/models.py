"""`toonbot models list` and `toonbot models pull` (the work: bot/models_cli.py)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.commands.base import Command

if TYPE_CHECKING:
    from bot.config import Config

__all__ = ["COMMAND"]


def _arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    actions.add_parser("list", help="show the model cards, their licences and what is installed")
    pull = actions.add_parser("pull", help="download a model's weights into the cache")
    pull.add_argument("name", help="model name (see `toonbot models list`)")
    pull.add_argument(
        "--allow-unverified",
        action="store_true",
        help="install even when the card pins no sha256 (the measured one is printed)",
    )
    pull.add_argument(
        "--base-url", metavar="URL", help="download from this mirror folder instead of the card URL"
    )


def _models(args: argparse.Namespace, config: Config) -> int:
    from bot.models_cli import models_list, models_pull

    if args.models_command == "list":
        return models_list(config.models)
    return models_pull(config.models, args.name, args.allow_unverified, args.base_url)


COMMAND = Command("models", "list or download neural style models", _models, _arguments)

"""`toonbot doctor`: check device, models, database and tokens (the checks: bot/doctor.py)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.commands.base import Command

if TYPE_CHECKING:
    from bot.config import Config

__all__ = ["COMMAND"]


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--offline", action="store_true", help="skip the checks that go over the network"
    )


def _doctor(args: argparse.Namespace, config: Config) -> int:
    from bot.doctor import run_doctor

    return run_doctor(config, offline=args.offline)


COMMAND = Command(
    "doctor",
    "check device, models, database and tokens; exit 1 if something is wrong",
    _doctor,
    _arguments,
)

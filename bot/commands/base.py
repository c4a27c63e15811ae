"""What one `toonbot` subcommand is: a name, a help line, its arguments and what it runs."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Config

__all__ = ["Command"]


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    """A subcommand without arguments of its own."""


@dataclass(frozen=True, slots=True)
class Command:
    """One row of the subcommand table.

    `arguments` adds the subcommand's own arguments to its parser; `run` gets the parsed
    arguments and the loaded config and returns the exit code. Modules that define commands
    import nothing heavy at module level (torch, PyAV, the bot libraries): `toonbot --help`
    and Ctrl+C during start-up stay quick and quiet.
    """

    name: str
    help: str
    run: Callable[[argparse.Namespace, Config], int]
    arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments

"""The `toonbot` command: toon files, list styles and models, run the bots, upgrade the database.

The subcommands live in bot/commands/, one module each; this module parses the command line,
loads the config and runs the chosen one.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

# Nothing heavy at import: Ctrl+C while torch and PyAV load must not end in a traceback.
from bot.commands import COMMANDS

__all__ = ["build_parser", "main", "package_version"]

log = logging.getLogger("toonbot")

_BY_NAME = {command.name: command for command in COMMANDS}
# The commands that read or write the data directory; the others need not hear about it.
_USES_DATA = frozenset({"run", "db", "doctor", "models"})


def package_version() -> str:
    """The installed distribution's version; "unknown" when run from a tree never installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("toonbot")
    except PackageNotFoundError:
        return "unknown"


class _VersionAction(argparse.Action):
    """--version, looking the version up only when asked (importlib.metadata costs ~20 ms)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        print(f"{parser.prog} {package_version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="toonbot", description="Turn photos into webtoon art.")
    parser.add_argument(
        "--config",
        type=Path,
        help="path to config.toml (default: $TOONBOT_CONFIG or ./config.toml)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    parser.add_argument("--version", action=_VersionAction, help="show the version and exit")
    # Not required: with no command, main prints the whole help (not argparse's one-line error).
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.arguments(sub.add_parser(command.name, help=command.help))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code.

    Ctrl+C before `toonbot run` is up (or a second one, to stop at once) exits 130 with one line.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        # A usage error (exit 2, as argparse's own), but with the list of commands to pick from.
        parser.print_help(sys.stderr)
        return 2
    try:
        return _main(args)
    except KeyboardInterrupt:
        from bot.messages import CLI_INTERRUPTED

        print(f"toonbot: {CLI_INTERRUPTED}", file=sys.stderr)
        return 130


def _main(args: argparse.Namespace) -> int:
    from bot.config import ConfigError, load_config
    from bot.dotenv_file import load_dotenv_file
    from bot.logsetup import make_handler

    # Before the config: .env may name TOONBOT_CONFIG or TOONBOT_DATA_DIR as well as the tokens.
    load_dotenv_file()
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"toonbot: {exc}", file=sys.stderr)
        return 2
    # Only where nothing is set up yet (as logging.basicConfig); tokens are masked either way.
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        handlers=[make_handler("text", secrets=config.secrets.values())],
    )
    if args.command in _USES_DATA:
        # An old database or weights folder still in use: one line per start saying how to move it.
        for notice in config.paths.notices:
            log.warning("%s", notice)
    return _BY_NAME[args.command].run(args, config)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""A Babel extraction method for ToonBot's messages (babel.cfg names it).

The messages are plain English constants (bot.messages) and Discord command descriptions
(bot.discord.commands), not `_()` calls, so Babel's Python extractor can't see them. This one
imports the module, takes the values the bot really sends (catalog.translatable_messages, and the
descriptions of the commands build_commands() makes) and points each at the line that defines it.
Each entry carries its constant's name as a comment for translators.

Source: Babel's extractor protocol, `func(fileobj, keywords, comment_tags, options)` yielding
`(lineno, funcname, messages, comments)` (babel.messages.extract.extract).
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from bot.i18n.catalog import translatable_messages

__all__ = ["command_descriptions", "extract_messages"]

Extracted = tuple[int, str, str | tuple[str, str], list[str]]


def extract_messages(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """The translatable messages defined in `fileobj` (a bot/messages module or
    bot/discord/commands.py)."""
    source = fileobj.read().decode("utf-8")
    module = _module_name(Path(getattr(fileobj, "name", "")))
    tree = ast.parse(source)
    if module == "bot.discord.commands":
        lines = _string_lines(tree)
        for path, description in command_descriptions():
            yield lines.get(description, 1), "gettext", description, [path]
        return
    defined = _assignment_lines(tree)
    for name, message in translatable_messages().items():
        line = defined.get(name.partition("[")[0])
        if line is None:
            continue  # defined in another module
        if isinstance(message, tuple):
            yield line, "ngettext", message, [name]
        else:
            yield line, "gettext", message, [name]


def command_descriptions() -> list[tuple[str, str]]:
    """(where, description) of every Discord command, group and option description: what
    bot.discord.translator translates. Built with one stand-in style (choices aren't translated)."""
    from discord import app_commands

    from bot.discord.commands import build_commands

    found: list[tuple[str, str]] = []

    def walk(command: Any, prefix: str) -> None:
        path = f"{prefix}/{command.name}"
        if isinstance(command, app_commands.ContextMenu):
            return  # a menu entry has a name only
        found.append((path, command.description))
        if isinstance(command, app_commands.Group):
            for sub in command.commands:
                walk(sub, path)
            return
        for parameter in command.parameters:
            found.append((f"{path} {parameter.name}", parameter.description))

    for command in build_commands(("webtoon",)):
        walk(command, "")
    return found


def _module_name(path: Path) -> str:
    parts = [] if path.stem == "__init__" else [path.stem]
    folder = path.resolve().parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    name = ".".join(parts)
    importlib.import_module(name)  # fails loudly on a file outside the packages
    return name


def _assignment_lines(tree: ast.Module) -> dict[str, int]:
    lines: dict[str, int] = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Name):
                lines[target.id] = node.lineno
    return lines


def _string_lines(tree: ast.Module) -> dict[str, int]:
    lines: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            lines.setdefault(node.value, node.lineno)
    return lines

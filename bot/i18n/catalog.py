"""The catalogues: which constants are translated, and reading the shipped .po files.

The .po files are the only artefact: they are compiled in memory with Babel when a language is
first used (a few milliseconds), so there is no .mo file to forget to rebuild or to ship.

Sources: Babel's babel.messages.pofile.read_po and babel.messages.mofile.write_mo, Python's
gettext.GNUTranslations (which reads the compiled bytes and applies the catalogue's plural rule).
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from importlib import resources

__all__ = [
    "DOMAIN",
    "ENGLISH_ONLY",
    "PLURALS",
    "catalogue_text",
    "load_translations",
    "shipped_locales",
    "translatable_messages",
]

DOMAIN = "toonbot"

# Count-dependent messages, one catalogue entry each: singular constant -> plural constant.
# English picks the constant as before; a language's catalogue has its own plural forms
# (Korean has one, used for every count).
PLURALS = {"DAILY_LIMIT_ONE": "DAILY_LIMIT"}

# Words for whoever runs the bot, printed by the `toonbot` command or its log, not sent to chat
# users: they stay English, like the rest of the command line (bot.messages.cli).
ENGLISH_ONLY = frozenset(
    {"NO_TOKEN", "TG_BAD_TOKEN", "TG_START_FAILED", "DC_BAD_TOKEN", "DC_START_FAILED", "DC_SYNCED"}
)


def translatable_messages() -> dict[str, str | tuple[str, str]]:
    """Every user-facing constant of bot.messages by name: a str, or (singular, plural) for a
    count-dependent pair (keyed by the singular's name); command menus give one entry per
    description ("NAME[i]"). What the catalogues must translate, and what extract.py extracts."""
    from bot import messages
    from bot.messages import cli

    plural_names = set(PLURALS.values())
    found: dict[str, str | tuple[str, str]] = {}
    for name in messages.__all__:
        value = getattr(messages, name)
        if name in cli.__all__ or name in ENGLISH_ONLY or name in plural_names or callable(value):
            continue
        if name in PLURALS:
            found[name] = (value, getattr(messages, PLURALS[name]))
        elif isinstance(value, str):
            found[name] = value
        elif isinstance(value, tuple):
            for i, (_command, description) in enumerate(value):
                found[f"{name}[{i}]"] = description
    return found


def shipped_locales() -> Iterator[str]:
    """The language codes that have a catalogue in bot/locales."""
    root = resources.files("bot.locales")
    for entry in root.iterdir():
        if entry.is_dir() and entry.joinpath("LC_MESSAGES", f"{DOMAIN}.po").is_file():
            yield entry.name


def catalogue_text(code: str) -> str:
    """The .po file of language `code`, as shipped."""
    path = resources.files("bot.locales").joinpath(code, "LC_MESSAGES", f"{DOMAIN}.po")
    return path.read_text(encoding="utf-8")


def load_translations(code: str) -> gettext.GNUTranslations:
    """Language `code`'s catalogue, compiled in memory; fuzzy entries are left out (English)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalog = read_po(io.StringIO(catalogue_text(code)), locale=code, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)

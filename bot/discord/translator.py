"""Discord command descriptions in the user's language, from the same catalogues as the replies.

discord.py asks the tree's Translator for every string of every command when the commands are
synced, once per Discord locale, and publishes the answers as description_localizations; Discord
then shows each user the description of their client's language. Command, option and choice
names are never translated: /toon is /toon everywhere.

Source: discord.py's app_commands.Translator (translate(string, locale, context), None meaning
"no translation") and TranslationContextLocation.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.i18n import DEFAULT_LOCALE, available_locales, lang_for, pick_locale

__all__ = ["CatalogueTranslator"]

_DESCRIPTIONS = frozenset(
    {
        app_commands.TranslationContextLocation.command_description,
        app_commands.TranslationContextLocation.group_description,
        app_commands.TranslationContextLocation.parameter_description,
    }
)


class CatalogueTranslator(app_commands.Translator):
    """Translates command, group and option descriptions with bot/locales' catalogues."""

    async def load(self) -> None:
        """Read every catalogue at login (setup_hook), not on some user's first request."""
        for code in available_locales():
            lang_for(code)

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """The description in `locale`, or None (Discord shows the English one) for names,
        English locales, languages without a catalogue and untranslated strings."""
        if context.location not in _DESCRIPTIONS or pick_locale(locale) == DEFAULT_LOCALE:
            return None
        translated = lang_for(locale)(string.message)
        return translated if translated != string.message else None

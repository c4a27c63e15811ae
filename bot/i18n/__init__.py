"""The user's language: which catalogue a reply is translated with.

Every user-facing string is an English constant in bot.messages; that English text is the msgid
of a gettext catalogue (bot/locales/<code>/LC_MESSAGES/toonbot.po). A frontend picks one Lang per
request from the user's client language (Telegram's language_code, Discord's interaction locale)
and translates each constant where it renders the reply, before filling in its fields:
`lang(TG_HELP).format(...)`. English is the source language: it has no catalogue of its own.

Sources: Python's gettext module (GNUTranslations, ngettext plural rules) and Babel's
`babel.messages` (read_po, write_mo) for reading the .po files; see catalog.py.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass, field
from functools import cache

__all__ = ["DEFAULT_LOCALE", "ENGLISH", "Lang", "available_locales", "lang_for", "pick_locale"]

DEFAULT_LOCALE = "en"


@dataclass(frozen=True, slots=True)
class Lang:
    """One language's translations: `lang(msgid)` and `lang.plural(one, many, n)`."""

    code: str  # "en", "ko": the catalogue's folder name (a primary language subtag)
    translations: gettext.NullTranslations = field(
        default_factory=gettext.NullTranslations, repr=False, compare=False
    )

    def __call__(self, message: str) -> str:
        """`message` (an English bot.messages constant) in this language; itself if untranslated."""
        return self.translations.gettext(message)

    def plural(self, singular: str, plural: str, n: int) -> str:
        """The form of a count-dependent message for `n` (the catalogue's plural rule; English:
        `singular` for 1, else `plural`)."""
        return self.translations.ngettext(singular, plural, n)


ENGLISH = Lang(DEFAULT_LOCALE)


@cache
def available_locales() -> frozenset[str]:
    """The languages replies can be in: English and every shipped catalogue."""
    from bot.i18n.catalog import shipped_locales

    return frozenset({DEFAULT_LOCALE, *shipped_locales()})


def pick_locale(code: object) -> str:
    """The catalogue for a client's language tag ("ko", "ko-KR", "ko_KR", a discord.Locale),
    matched on its primary subtag; English for None or a language without a catalogue."""
    if code is None:
        return DEFAULT_LOCALE
    # discord.Locale's str() is its tag ("ko", "en-US"); Telegram sends IETF tags.
    primary = str(code).strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in available_locales() else DEFAULT_LOCALE


@cache
def _lang(code: str) -> Lang:
    if code == DEFAULT_LOCALE:
        return ENGLISH
    from bot.i18n.catalog import load_translations

    return Lang(code, load_translations(code))


def lang_for(code: object) -> Lang:
    """The Lang of a client's language tag (see pick_locale); catalogues load once, on first use."""
    return _lang(pick_locale(code))

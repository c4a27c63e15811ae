"""Reading a style request out of a photo's caption ("sketch", "/toon sketch texture=0.2")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.options import option_word
from engine.errors import BadStyleOption
from engine.styles.options import StyleOptions

__all__ = ["TOON_COMMAND", "StyleRequest", "parse_caption", "parse_words"]

TOON_COMMAND = "toon"


@dataclass(frozen=True, slots=True)
class StyleRequest:
    """What a caption asks for: whether it is a /toon command, the style word and options.

    problem: a bad option word ("texture=abc", "shine=1") of a caption that is a request; the
    user is told, and nothing is drawn or charged.
    """

    command: bool = False
    style: str | None = None  # lower-cased and not yet checked against the engine's styles
    options: StyleOptions = field(default_factory=StyleOptions)
    problem: BadStyleOption | None = field(default=None, compare=False)


def parse_caption(text: str | None, bot_username: str | None) -> StyleRequest | None:
    """Parse a caption; None when it is a /toon command addressed to some other bot."""
    words = (text or "").split()
    if not words:
        return StyleRequest()
    first = words[0]
    if first.startswith("/"):
        name, _, mention = first[1:].partition("@")
        if name.lower() != TOON_COMMAND:
            return StyleRequest()  # some other command as a caption: treat it as plain text
        if mention and bot_username and mention.lower() != bot_username.lower():
            return None
        return parse_words(words[1:], command=True)
    return parse_words(words, command=False)


def parse_words(words: Sequence[str], *, command: bool) -> StyleRequest:
    """A style and options from /toon's arguments (`command`) or a caption's words.

    Option words (name=value, see bot.options.option_word) may stand anywhere. Besides them,
    a caption of one word is a style choice (so a typo gets the list of styles), while more
    words are a sentence people wrote for each other: it must not stop the photo from being
    drawn, so its option-like words are ignored rather than refused. After /toon, the first
    other word is the style and any further ones are ignored.
    """
    settings: dict[str, str] = {}
    others: list[str] = []
    for word in words:
        setting = option_word(word)
        if setting is None:
            others.append(word)
        else:
            settings[setting[0]] = setting[1]
    if not command and len(others) > 1:
        return StyleRequest()
    style = others[0].lower() if others else None
    try:
        options = StyleOptions.from_mapping(settings)
    except BadStyleOption as exc:
        return StyleRequest(command=command, style=style, problem=exc)
    return StyleRequest(command=command, style=style, options=options)

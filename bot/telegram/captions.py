"""Reading a style request out of a photo's caption ("sketch", "/toon sketch")."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TOON_COMMAND", "StyleRequest", "parse_caption"]

TOON_COMMAND = "toon"


@dataclass(frozen=True, slots=True)
class StyleRequest:
    """What a caption asks for: whether it is a /toon command, and the style word if any."""

    command: bool = False
    style: str | None = None  # lower-cased and not yet checked against the engine's styles


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
        return StyleRequest(command=True, style=words[1].lower() if len(words) > 1 else None)
    # A single word is a style choice (so a typo gets the list of styles); a sentence is just
    # a caption people wrote for each other and must not stop the photo from being drawn.
    if len(words) == 1:
        return StyleRequest(style=first.lower())
    return StyleRequest()

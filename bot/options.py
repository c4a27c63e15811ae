"""Style options (texture, color) as the frontends carry them: in buttons and as typed words."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from engine.styles.options import OPTION_NAMES, StyleOptions

__all__ = [
    "ALIASES",
    "OPTION_WORD",
    "StyleChoice",
    "decode_options",
    "encode_options",
    "honoured_options",
    "option_word",
]


@dataclass(frozen=True, slots=True)
class StyleChoice:
    """What a request is drawn as: a style name and the request's options."""

    style: str
    options: StyleOptions = field(default_factory=StyleOptions)


# A button stores each set option as its letter and its value in thousandths ("t200c900" is
# texture 0.2, color 0.9): StyleOptions keeps 3 decimals, so the round trip is exact, and the
# longest code (11 characters) leaves room in Telegram's 64-byte callback data.
_LETTERS = {"texture": "t", "color": "c"}
_CODE = re.compile(r"(?:t(?P<texture>\d{1,4}))?(?:c(?P<color>\d{1,4}))?")

# "name=value" as typed in a caption; what counts as an option word is decided by option_word.
OPTION_WORD = re.compile(r"(?P<name>[a-z][a-z_-]{0,31})=(?P<value>\S*)", re.IGNORECASE)
_NUMBER = re.compile(r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)%?")


def encode_options(options: StyleOptions) -> str:
    """The options in a button's payload: "" for the defaults, else e.g. "t200c900"."""
    return "".join(
        f"{_LETTERS[name]}{round(value * 1000)}" for name, value in options.as_dict().items()
    )


def decode_options(code: str) -> StyleOptions | None:
    """Options from a payload made by encode_options; None when `code` has another shape.

    Raises BadStyleOption for a value out of range (a tampered or corrupted payload).
    """
    match = _CODE.fullmatch(code)
    if match is None:
        return None
    values = {name: int(raw) / 1000 for name, raw in match.groupdict().items() if raw is not None}
    return StyleOptions(**values)


# Spellings people type for the same option.
ALIASES: dict[str, str] = {"colour": "color"}


def option_word(word: str) -> tuple[str, str] | None:
    """(name, value) when a typed word is an option setting, else None.

    A word counts when it is name=value and either the name is an option ("texture=abc", so
    it can be answered) or the value is a number or percentage ("shine=1"); other words with
    an "=" in them ("a=b") are ordinary text. A decimal comma is read as a point; "colour" is
    read as "color".
    """
    match = OPTION_WORD.fullmatch(word)
    if match is None:
        return None
    name, value = match["name"].lower(), match["value"]
    name = ALIASES.get(name, name)
    if name not in OPTION_NAMES and _NUMBER.fullmatch(value) is None:
        return None
    return name, value.replace(",", ".")


def honoured_options(engine: object, style: str) -> Sequence[str]:
    """The option names `style` honours on `engine` (all of them when the engine cannot say,
    as a remote one cannot)."""
    names: Callable[[str], Sequence[str]] | None = getattr(engine, "option_names", None)
    return OPTION_NAMES if names is None else names(style)

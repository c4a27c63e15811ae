"""Inline keyboards and the callback data their buttons carry."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import ENGLISH, Lang
from bot.messages import CANCEL_BUTTON, TG_RESTYLE_BUTTON, TG_STYLE_BUTTON, TG_STYLE_BUTTON_CURRENT
from bot.options import decode_options, encode_options
from engine.styles.options import StyleOptions

__all__ = [
    "CALLBACK_DATA_LIMIT",
    "CANCEL_PREFIX",
    "RESTYLE_PREFIX",
    "STYLE_PREFIX",
    "callback_restyle",
    "callback_style",
    "cancel_keyboard",
    "restyle_keyboard",
    "style_keyboard",
]

log = logging.getLogger(__name__)

# "<prefix><style>": everything a press needs travels in the button, so presses still work
# after a restart with no state kept on the server. A redraw button adds the options the result
# was drawn with, "restyle:<style>:<code>" (bot.options.encode_options), when there are any.
STYLE_PREFIX = "style:"
RESTYLE_PREFIX = "restyle:"
# Telegram refuses a whole message whose buttons carry more callback data than this.
CALLBACK_DATA_LIMIT = 64
# "<prefix><job id>": a clip in progress lives only in this process, so its id is enough.
CANCEL_PREFIX = "cancel:"
_ROW = 3  # buttons per row; style names are short


def style_keyboard(
    styles: Sequence[str], current: str, lang: Lang = ENGLISH
) -> InlineKeyboardMarkup:
    """One button per style, the user's current one ticked."""
    buttons = [
        InlineKeyboardButton(
            lang(TG_STYLE_BUTTON_CURRENT if name == current else TG_STYLE_BUTTON).format(
                style=name
            ),
            callback_data=STYLE_PREFIX + name,
        )
        for name in styles
    ]
    return InlineKeyboardMarkup(_rows(buttons))


def restyle_keyboard(
    styles: Sequence[str],
    drawn: str,
    options: StyleOptions | None = None,
    lang: Lang = ENGLISH,
) -> InlineKeyboardMarkup | None:
    """Buttons that redraw a result in each style other than the one it was drawn in, with the
    options it was drawn with; labelled in the requester's `lang`."""
    code = encode_options(options or StyleOptions())
    label = lang(TG_RESTYLE_BUTTON)
    buttons = []
    for name in styles:
        if name == drawn:
            continue
        data = RESTYLE_PREFIX + name + (":" + code if code else "")
        if len(data.encode()) > CALLBACK_DATA_LIMIT:
            log.warning("no redraw button for style %r: its callback data is too long", name)
            continue
        buttons.append(InlineKeyboardButton(label.format(style=name), callback_data=data))
    return InlineKeyboardMarkup(_rows(buttons)) if buttons else None


def callback_restyle(data: str | None) -> tuple[str, StyleOptions] | None:
    """The style and options a redraw button asks for, or None if it is not one of ours.

    Buttons posted before options existed ("restyle:<style>") redraw with the defaults; a
    payload of another shape comes back as the style name, which the caller then refuses.
    Raises BadStyleOption for an option value out of range.
    """
    rest = callback_style(data, RESTYLE_PREFIX)
    if rest is None:
        return None
    style, _, code = rest.partition(":")
    options = decode_options(code)
    return (style, options) if options is not None else (rest, StyleOptions())


def cancel_keyboard(job_id: str, lang: Lang = ENGLISH) -> InlineKeyboardMarkup:
    """The Cancel button under a clip's status message."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(lang(CANCEL_BUTTON), callback_data=CANCEL_PREFIX + job_id)]]
    )


def callback_style(data: str | None, prefix: str) -> str | None:
    """The style named by a button's callback data, or None if it is not one of ours."""
    if data is None or not data.startswith(prefix):
        return None
    return data[len(prefix) :] or None


def _rows(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + _ROW] for i in range(0, len(buttons), _ROW)]

"""Inline keyboards and the callback data their buttons carry."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.messages import CANCEL_BUTTON, TG_RESTYLE_BUTTON, TG_STYLE_BUTTON, TG_STYLE_BUTTON_CURRENT

__all__ = [
    "CANCEL_PREFIX",
    "RESTYLE_PREFIX",
    "STYLE_PREFIX",
    "callback_style",
    "cancel_keyboard",
    "restyle_keyboard",
    "style_keyboard",
]

# "<prefix><style>": everything a press needs travels in the button, so presses still work
# after a restart with no state kept on the server.
STYLE_PREFIX = "style:"
RESTYLE_PREFIX = "restyle:"
# "<prefix><job id>": a clip in progress lives only in this process, so its id is enough.
CANCEL_PREFIX = "cancel:"
_ROW = 3  # buttons per row; style names are short


def style_keyboard(styles: Sequence[str], current: str) -> InlineKeyboardMarkup:
    """One button per style, the user's current one ticked."""
    buttons = [
        InlineKeyboardButton(
            (TG_STYLE_BUTTON_CURRENT if name == current else TG_STYLE_BUTTON).format(style=name),
            callback_data=STYLE_PREFIX + name,
        )
        for name in styles
    ]
    return InlineKeyboardMarkup(_rows(buttons))


def restyle_keyboard(styles: Sequence[str], drawn: str) -> InlineKeyboardMarkup | None:
    """Buttons that redraw a result in each style other than the one it was drawn in."""
    buttons = [
        InlineKeyboardButton(
            TG_RESTYLE_BUTTON.format(style=name), callback_data=RESTYLE_PREFIX + name
        )
        for name in styles
        if name != drawn
    ]
    return InlineKeyboardMarkup(_rows(buttons)) if buttons else None


def cancel_keyboard(job_id: str) -> InlineKeyboardMarkup:
    """The Cancel button under a clip's status message."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(CANCEL_BUTTON, callback_data=CANCEL_PREFIX + job_id)]]
    )


def callback_style(data: str | None, prefix: str) -> str | None:
    """The style named by a button's callback data, or None if it is not one of ours."""
    if data is None or not data.startswith(prefix):
        return None
    return data[len(prefix) :] or None


def _rows(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + _ROW] for i in range(0, len(buttons), _ROW)]

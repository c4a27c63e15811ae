"""Every user-facing string, and the one place errors become words."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from bot.quota import LimitOutOfRange, QuotaError, QuotaExceeded, QuotaStatus, QuotaUnavailable
from engine.errors import (
    BadStyleOption,
    EngineClosed,
    FileTooLarge,
    ImageTooLarge,
    ImageTooSmall,
    InferenceFailed,
    InferenceTimeout,
    JobTimeout,
    QueueFull,
    ToonError,
    UnknownStyle,
    UnsupportedMedia,
    VideoTooLong,
    VideoTooManyFrames,
)

__all__ = [
    "BUSY",
    "CANCEL_BUTTON",
    "CANCEL_GONE",
    "CANCEL_NOT_YOURS",
    "CANCEL_STARTED",
    "CHAT_HOURLY_LIMIT",
    "CLIP_CANCELLED",
    "COOLDOWN",
    "DAILY_LIMIT",
    "DAILY_LIMIT_ONE",
    "FAILED",
    "FILE_TOO_LARGE",
    "IMAGE_TOO_LARGE",
    "IMAGE_TOO_SMALL",
    "LIMIT_OUT_OF_RANGE",
    "NO_TOKEN",
    "OPTIONS_UNUSED",
    "OPTIONS_USED",
    "OPTION_NOT_A_NUMBER",
    "OPTION_OUT_OF_RANGE",
    "OPTION_SETTING",
    "OPTION_UNKNOWN",
    "QUOTA_COOLDOWN_LINE",
    "QUOTA_HOURLY_LINE",
    "QUOTA_STATUS",
    "QUOTA_UNAVAILABLE",
    "RESTARTED",
    "SHUTTING_DOWN",
    "TIMED_OUT",
    "TOONS_OFF",
    "UNKNOWN_STYLE",
    "UNSUPPORTED",
    "VIDEO_TOO_LONG",
    "VIDEO_TOO_MANY_FRAMES",
    "error_message",
    "human_duration",
    "options_note",
    "quota_message",
    "quota_status_message",
]

BUSY = "I'm very busy right now. Please try again in a minute."
# The Cancel button under a clip's status, and what a press or a deleted source leads to.
CANCEL_BUTTON = "Cancel"
CANCEL_STARTED = "Cancelling\u2026"
CANCEL_NOT_YOURS = "Only the person who sent this clip can cancel it."
CANCEL_GONE = "That clip is already finished."
CLIP_CANCELLED = "Cancelled \u2014 nothing was charged."
TIMED_OUT = "That took too long, sorry. Please try again in a few minutes."
FAILED = "Something went wrong while drawing your picture. Please try again."
SHUTTING_DOWN = "I'm restarting. Please send it again in a moment."
QUOTA_UNAVAILABLE = (
    "I'm a little overloaded right now \u2014 please try again in a minute; nothing was charged."
)
RESTARTED = (
    "ToonBot restarted while drawing your picture \u2014 nothing was charged, please send it again."
)
UNSUPPORTED = (
    "I can't read that file ({reason}). Please send a JPEG, PNG or WebP photo, "
    "or an MP4, MOV, WebM or GIF clip."
)
IMAGE_TOO_LARGE = (
    "That image is too big ({megapixels:.0f} megapixels). "
    "Please send one under {limit_megapixels:.0f} megapixels."
)
IMAGE_TOO_SMALL = (
    "That image is too small or too thin ({width}x{height}). "
    "Each side needs at least {min_side} pixels."
)
FILE_TOO_LARGE = "That file is too big ({size_mb:.1f} MB). The limit is {limit_mb:.0f} MB."
VIDEO_TOO_LONG = (
    "That video is too long ({duration:.0f} s). Please send a clip of at most {limit:g} seconds."
)
VIDEO_TOO_MANY_FRAMES = (
    "That video has too many frames ({frames}). The limit is {limit} frames; "
    "please send a shorter clip."
)
UNKNOWN_STYLE = "I don't know the style \u201c{name}\u201d. Try one of: {available}."
# Style options: typed words, /toon options and redraw buttons.
OPTION_UNKNOWN = (
    "I don't know the option \u201c{name}\u201d. You can set texture and color, each from 0 "
    "to 1, e.g. texture=0.2 color=0.9."
)
OPTION_NOT_A_NUMBER = (
    "The {name} option takes a number from 0 to 1 (or 0% to 100%), e.g. {name}=0.2 \u2014 "
    "\u201c{value}\u201d isn't one."
)
OPTION_OUT_OF_RANGE = (
    "The {name} option goes from 0 to 1 (or 0% to 100%); \u201c{value}\u201d is outside that. "
    "Try e.g. {name}=0.2."
)
# A line under a result drawn with options, and one for options its style has no use for.
OPTION_SETTING = "{name} {value:g}"
OPTIONS_USED = "Options: {options}."
OPTIONS_UNUSED = "{style} doesn't use {names}."
NO_TOKEN = (
    "No bot token is set, so there is nothing to run. Set {telegram_env} for Telegram "
    "and/or {discord_env} for Discord in the environment, then run `toonbot run` again."
)

DAILY_LIMIT = "You've used all {limit} toons for today. More in {wait}."
DAILY_LIMIT_ONE = "You've used your toon for today. More in {wait}."
TOONS_OFF = "Toons are switched off in this chat."
CHAT_HOURLY_LIMIT = "This chat has used all {limit} toons for this hour. More in {wait}."
COOLDOWN = "Slow down a little \u2014 try again in {wait}."
LIMIT_OUT_OF_RANGE = "{name} must be between {low} and {high} (you asked for {value})."
QUOTA_STATUS = "Today: {used} of {limit} toons used, {remaining} left. Resets in {wait}."
QUOTA_HOURLY_LINE = "This chat this hour: {used} of {limit}. Resets in {wait}."
QUOTA_COOLDOWN_LINE = "Next photo in {wait}."

_MB = 1024 * 1024


def error_message(exc: ToonError) -> str:
    """A friendly, stack-trace-free sentence for any engine error."""
    match exc:
        case QueueFull():
            return BUSY
        case JobTimeout() | InferenceTimeout():
            return TIMED_OUT
        case EngineClosed():
            return SHUTTING_DOWN
        case ImageTooLarge(pixels=pixels, limit=limit):
            return IMAGE_TOO_LARGE.format(megapixels=pixels / 1e6, limit_megapixels=limit / 1e6)
        case ImageTooSmall(width=width, height=height, min_side=min_side):
            return IMAGE_TOO_SMALL.format(width=width, height=height, min_side=min_side)
        case FileTooLarge(size=size, limit=limit):
            return FILE_TOO_LARGE.format(size_mb=size / _MB, limit_mb=limit / _MB)
        case VideoTooLong(duration_s=duration, limit_s=limit):
            return VIDEO_TOO_LONG.format(duration=duration, limit=limit)
        case VideoTooManyFrames(frames=frames, limit=limit):
            return VIDEO_TOO_MANY_FRAMES.format(frames=frames, limit=limit)
        case UnsupportedMedia(reason=reason):
            return UNSUPPORTED.format(reason=reason)
        case UnknownStyle(name=name, available=available):
            return UNKNOWN_STYLE.format(name=name, available=", ".join(available))
        case BadStyleOption(name=name, reason="unknown option"):
            return OPTION_UNKNOWN.format(name=name)
        case BadStyleOption(name=name, value=value, reason="out of range"):
            return OPTION_OUT_OF_RANGE.format(name=name, value=value)
        case BadStyleOption(name=name, value=value):
            return OPTION_NOT_A_NUMBER.format(name=name, value=value)
        case InferenceFailed():
            return FAILED
    return FAILED


def options_note(style: str, given: Mapping[str, float], honoured: Sequence[str]) -> str:
    """Lines (each after a newline) for a result's text: the options it was drawn with, and
    those `style` does not use; "" when no option was given."""
    used = [OPTION_SETTING.format(name=k, value=v) for k, v in given.items() if k in honoured]
    unused = [k for k in given if k not in honoured]
    lines = [OPTIONS_USED.format(options=", ".join(used))] if used else []
    if unused:
        lines.append(OPTIONS_UNUSED.format(style=style, names=" or ".join(unused)))
    return "".join("\n" + line for line in lines)


# --- Telegram ------------------------------------------------------------------------------------
# Plain text (no parse mode), so style names and user input never need escaping.

__all__ += [
    "TG_ADMIN_CHECK_FAILED",
    "TG_ADMIN_COMMAND_MENU",
    "TG_ADMIN_ONLY",
    "TG_BAD_TOKEN",
    "TG_COMMAND_MENU",
    "TG_DOWNLOAD_FAILED",
    "TG_GROUPS_ONLY",
    "TG_HELP",
    "TG_HELP_SAMPLE",
    "TG_HELP_STYLE",
    "TG_LIMITS",
    "TG_LIMIT_SET",
    "TG_LOTTIE_STICKER",
    "TG_NOT_AN_IMAGE",
    "TG_ORIGINAL_GONE",
    "TG_RESTYLE_BUTTON",
    "TG_RESTYLE_STARTED",
    "TG_RESULT_CAPTION",
    "TG_SERVER_ERROR",
    "TG_SETLIMIT_USAGE",
    "TG_START_FAILED",
    "TG_STATUS_DRAWING",
    "TG_STATUS_QUEUED",
    "TG_STATUS_STARTED",
    "TG_STATUS_STARTED_CLIP",
    "TG_STYLE_BUTTON",
    "TG_STYLE_BUTTON_CURRENT",
    "TG_STYLE_PROMPT",
    "TG_STYLE_SET",
    "TG_TEXT_HINT",
    "TG_TOON_HOW",
    "TG_VIDEO_CAPTION",
    "TG_VIDEO_PROGRESS",
    "TG_VIDEO_RESULT_TOO_BIG",
    "TG_WELCOME",
]

TG_WELCOME = (
    "Hi! I redraw photos as Korean webtoon art.\n"
    "Send me a photo and I'll send it back drawn in your style. "
    "Styles: {styles}. /help tells you more."
)
TG_HELP = (
    "How to use me:\n"
    "\u2022 Send a photo. Send it as a file (JPEG, PNG or WebP) to get a full-quality file back.\n"
    "\u2022 Write a style as the caption, e.g. \u201csketch\u201d or \u201c/toon sketch\u201d, "
    "to use it for that photo.\n"
    "\u2022 Add texture and color from 0 to 1 to tune the look, e.g. "
    "\u201cwebtoon texture=0.2 color=0.9\u201d (less texture is cleaner, more color more vivid).\n"
    "\u2022 Tap a button under a result to redraw it in another style.\n"
    "\u2022 Send a video, GIF or video note to get it back drawn the same way.\n"
    "\u2022 Stickers work too: still ones come back as a picture; video stickers and animated "
    "WebP or APNG files come back animated.\n"
    "\u2022 In groups, caption your photo /toon, or reply /toon to a photo.\n"
    "\n"
    "Styles (yours is {current}):\n"
    "{styles}\n"
    "\n"
    "/style \u2014 pick your usual style\n"
    "/quota \u2014 how many pictures you have left\n"
    "/limits and /setlimit \u2014 for group admins: see or change the group's limits"
)
TG_HELP_STYLE = "\u2022 {name}: {description}"
TG_HELP_SAMPLE = "A sample: the photo, then webtoon, sketch and classic."
TG_VIDEO_PROGRESS = "Drawing your clip\u2026 {percent}%"
TG_VIDEO_CAPTION = "Drawn in {style} style."
TG_VIDEO_RESULT_TOO_BIG = (
    "The drawn clip came out too big for Telegram ({size:.1f} MB; the limit is {limit:.0f} MB). "
    "Please send a shorter clip."
)
TG_NOT_AN_IMAGE = "That file isn't a picture. Please send a photo, or a JPEG, PNG or WebP file."
TG_LOTTIE_STICKER = (
    "I can't draw animated (.tgs) stickers: they are vector animations with no picture inside. "
    "Nothing was charged. Send a still or video sticker, a photo, a GIF or a clip instead."
)
TG_STATUS_STARTED = "Got it! Fetching your picture\u2026"
TG_STATUS_STARTED_CLIP = "Got it! Fetching your clip\u2026"
TG_STATUS_QUEUED = "Queued \u2014 position {position}"
TG_STATUS_DRAWING = "Drawing\u2026"
TG_DOWNLOAD_FAILED = "I couldn't fetch your picture from Telegram. Please send it again."
TG_RESULT_CAPTION = "Drawn in {style} style. Tap a button to try another one."
TG_RESTYLE_BUTTON = "Redraw as {style}"
TG_RESTYLE_STARTED = "Redrawing it as {style}\u2026"
TG_ORIGINAL_GONE = "I can't find the original picture any more. Please send it again."
TG_STYLE_PROMPT = "Pick the style for your photos. Yours is {current}."
TG_STYLE_BUTTON = "{style}"
TG_STYLE_BUTTON_CURRENT = "\u2713 {style}"
TG_STYLE_SET = "Done! I'll draw your photos in {style} style."
TG_TOON_HOW = (
    "Send me a photo with /toon as its caption, or reply /toon to a photo. "
    "Add a style to pick one, e.g. /toon sketch, and texture or color from 0 to 1 to tune it, "
    "e.g. /toon webtoon texture=0.2."
)
TG_SERVER_ERROR = "Sorry, something went wrong on my side. Please try again."
TG_TEXT_HINT = "Send me a photo and I'll draw it as a webtoon. /help shows how."
TG_GROUPS_ONLY = (
    "/limits and /setlimit are for groups: add me to a group and use them there as an admin."
)
TG_ADMIN_ONLY = "Sorry, only this group's admins can see or change its limits."
TG_ADMIN_CHECK_FAILED = "I couldn't check whether you're an admin here. Please try again."
TG_SETLIMIT_USAGE = (
    "Usage: /setlimit <name> <number>, where name is one of: {names}. "
    "Use \u201cdefault\u201d as the number to go back to the bot's default."
)
TG_LIMIT_SET = "Done: {name} is now {value} in this group."
TG_LIMITS = (
    "This group's limits:\n"
    "\u2022 daily_per_user = {daily_per_user} (pictures per person per day)\n"
    "\u2022 per_chat_per_hour = {per_chat_per_hour} (pictures per hour for the whole group; "
    "0 means no limit)\n"
    "\u2022 cooldown_s = {cooldown_s} (seconds between one person's pictures)\n"
    "Admins change them with /setlimit <name> <number>."
)
# The command menus Telegram shows; (command, description) pairs.
TG_COMMAND_MENU: tuple[tuple[str, str], ...] = (
    ("toon", "Draw a photo (as its caption, or as a reply to it)"),
    ("style", "Pick your usual style"),
    ("quota", "How many pictures you have left"),
    ("help", "How to use me"),
)
TG_ADMIN_COMMAND_MENU: tuple[tuple[str, str], ...] = (
    ("limits", "Show this group's limits"),
    ("setlimit", "Change one of this group's limits"),
)
# Printed for whoever runs `toonbot run`.
TG_BAD_TOKEN = "Telegram refused the bot token in {env}; check it with @BotFather."
TG_START_FAILED = "could not start the Telegram bot: {reason}"


def quota_message(exc: QuotaError) -> str:
    """A friendly sentence for a refused photo or a rejected admin limit."""
    match exc:
        case QuotaExceeded(limit=0):
            return TOONS_OFF
        case QuotaExceeded(reason="daily", limit=1, retry_after_s=wait):
            return DAILY_LIMIT_ONE.format(wait=human_duration(wait or 0))
        case QuotaExceeded(reason="daily", limit=limit, retry_after_s=wait):
            return DAILY_LIMIT.format(limit=limit, wait=human_duration(wait or 0))
        case QuotaExceeded(reason="chat_hourly", limit=limit, retry_after_s=wait):
            return CHAT_HOURLY_LIMIT.format(limit=limit, wait=human_duration(wait or 0))
        case QuotaExceeded(retry_after_s=wait):
            return COOLDOWN.format(wait=human_duration(wait or 0))
        case QuotaUnavailable():
            return QUOTA_UNAVAILABLE
        case LimitOutOfRange(name=name, value=value, low=low, high=high):
            return LIMIT_OUT_OF_RANGE.format(name=name, value=value, low=low, high=high)
    return FAILED


def quota_status_message(status: QuotaStatus) -> str:
    """The /quota reply: today's count, the chat's hourly count if limited, any cooldown."""
    if status.daily_limit == 0:
        return TOONS_OFF
    lines = [
        QUOTA_STATUS.format(
            used=status.used_today,
            limit=status.daily_limit,
            remaining=status.remaining_today,
            wait=human_duration(status.resets_in_s),
        )
    ]
    if status.chat_hourly_limit > 0:
        lines.append(
            QUOTA_HOURLY_LINE.format(
                used=status.chat_hourly_used,
                limit=status.chat_hourly_limit,
                wait=human_duration(status.chat_hourly_resets_in_s),
            )
        )
    if status.cooldown_remaining_s > 0:
        lines.append(QUOTA_COOLDOWN_LINE.format(wait=human_duration(status.cooldown_remaining_s)))
    return "\n".join(lines)


def human_duration(seconds: float) -> str:
    """Seconds as "8 s", "4 min 5 s" or "3 h 12 min", rounded up so users never come too early."""
    total = max(1, math.ceil(seconds))
    if total < 60:
        return f"{total} s"
    if total < 3600:
        minutes, rest = divmod(total, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(math.ceil(total / 60), 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


# --- Discord -------------------------------------------------------------------------------------
# Sent as plain content; style names come from the engine, never from users.

__all__ += [
    "DC_ADMIN_ONLY",
    "DC_BAD_TOKEN",
    "DC_DELETE_BUTTON",
    "DC_DELETE_NOT_YOURS",
    "DC_DOWNLOAD_FAILED",
    "DC_LIMITS",
    "DC_LIMIT_SET",
    "DC_NOT_AN_IMAGE",
    "DC_NO_IMAGE",
    "DC_ORIGINAL_GONE",
    "DC_RESTARTED",
    "DC_RESTYLE_BUTTON",
    "DC_RESULT",
    "DC_SERVER_ERROR",
    "DC_START_FAILED",
    "DC_STATUS_DRAWING",
    "DC_STATUS_QUEUED",
    "DC_STATUS_STARTED",
    "DC_STATUS_STARTED_CLIP",
    "DC_SYNCED",
    "DC_VIDEO_PROGRESS",
    "DC_VIDEO_RESULT",
    "DC_VIDEO_RESULT_TOO_BIG",
]

DC_STATUS_STARTED = "Got it! Fetching your picture\u2026"
DC_STATUS_STARTED_CLIP = "Got it! Fetching your clip\u2026"
DC_STATUS_QUEUED = "Queued \u2014 position {position}"
DC_STATUS_DRAWING = "Drawing\u2026"
DC_RESULT = "{mention}, here is your picture drawn in {style} style."
DC_RESTYLE_BUTTON = "Redraw as {style}"
DC_DELETE_BUTTON = "Delete"
DC_DELETE_NOT_YOURS = "Only the person who asked for this picture can delete it."
DC_VIDEO_PROGRESS = "Drawing your clip\u2026 {percent}%"
DC_VIDEO_RESULT = "{mention}, here is your clip drawn in {style} style."
DC_VIDEO_RESULT_TOO_BIG = (
    "The drawn clip came out too big to upload here ({size:.1f} MB; the limit is {limit:.0f} MB). "
    "Please try a shorter clip."
)
DC_NOT_AN_IMAGE = "That file isn't a picture. Please attach a JPEG, PNG or WebP photo."
DC_NO_IMAGE = "That message has no picture I can draw. Pick a message with a JPEG, PNG or WebP."
DC_DOWNLOAD_FAILED = "I couldn't fetch your picture from Discord. Please try again."
DC_ORIGINAL_GONE = "I can't find the original picture any more. Please send it again."
DC_SERVER_ERROR = "Sorry, something went wrong on my side. Please try again."
DC_RESTARTED = "{mention}, " + RESTARTED
DC_ADMIN_ONLY = "Sorry, only people who can manage this server can see or change its limits."
DC_LIMIT_SET = "Done: {name} is now {value} on this server."
DC_LIMITS = (
    "This server's limits:\n"
    "\u2022 daily = {daily_per_user} (pictures per person per day)\n"
    "\u2022 hourly = {per_chat_per_hour} (pictures per hour for the whole server; "
    "0 means no limit)\n"
    "\u2022 cooldown = {cooldown_s} s (between one person's pictures)\n"
    "Change them with /toon-admin set-daily, set-hourly and set-cooldown."
)
# Printed for whoever runs `toonbot run` or `toonbot discord-sync`.
DC_BAD_TOKEN = "Discord refused the bot token in {env}; check it in the Developer Portal."
DC_START_FAILED = "could not start the Discord bot: {reason}"
DC_SYNCED = "synced {count} commands {where}"

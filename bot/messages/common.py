"""Strings every frontend shares, and the one place errors and quota refusals become words."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from bot.quota import (
    ForgetResult,
    LimitOutOfRange,
    QuotaError,
    QuotaExceeded,
    QuotaStatus,
    QuotaUnavailable,
)
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
    "FORGET_DELETED",
    "FORGET_DELETED_ADMIN",
    "FORGET_DELETED_HISTORY",
    "FORGET_DELETED_STYLE",
    "FORGET_KEPT",
    "FORGET_NOTHING_DELETED",
    "FORGET_NOTHING_KEPT",
    "FORGET_UNAVAILABLE",
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
    "UPLOADS_BUSY",
    "VIDEO_TOO_LONG",
    "VIDEO_TOO_MANY_FRAMES",
    "error_message",
    "forget_message",
    "human_duration",
    "options_note",
    "quota_message",
    "quota_status_message",
]

BUSY = "I'm very busy right now. Please try again in a minute."
# Too many uploads being downloaded and decoded at once (bot.budget): refunded.
UPLOADS_BUSY = (
    "Lots of pictures are arriving right now \u2014 please send it again in a minute; "
    "nothing was charged."
)
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
# /forget (Telegram) and /toon-forget (Discord): what went, and what stays until it expires.
FORGET_DELETED = "Done \u2014 I deleted what I kept about you:"
FORGET_DELETED_STYLE = "\u2022 your usual style"
FORGET_DELETED_HISTORY = "\u2022 your picture counts from earlier days"
FORGET_DELETED_ADMIN = "\u2022 your name beside limits you set as an admin (the limits stay)"
FORGET_NOTHING_DELETED = "There was nothing of yours left to delete."
FORGET_KEPT = (
    "Kept until they expire in {wait}, so limits can't be reset this way: today's picture "
    "counts, your cooldown and any picture still being drawn. They are deleted at the next "
    "clean-up after that (every {purge})."
)
FORGET_NOTHING_KEPT = "Nothing else about you is stored."
FORGET_UNAVAILABLE = (
    "I can't reach my records right now \u2014 nothing was deleted. Please try again in a minute."
)
RESTARTED = (
    "ToonBot restarted while drawing your picture \u2014 nothing was charged, please send it again."
)
UNSUPPORTED = (
    "I can't read that file ({reason}). Please send a JPEG, PNG or WebP photo, "
    "or an MP4, MOV, WebM or GIF clip (animated WebP and PNG work too)."
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
# {frames} is where counting stopped, which can be the limit plus one: "more than" is exact.
VIDEO_TOO_MANY_FRAMES = (
    "That clip has more than {limit} frames, the most I can draw; please send a shorter one."
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


def forget_message(result: ForgetResult, *, now: float, purge_interval_s: float) -> str:
    """The /forget reply: what was deleted, then what is kept and until when."""
    deleted = [
        line
        for count, line in (
            (result.preferences, FORGET_DELETED_STYLE),
            (result.history, FORGET_DELETED_HISTORY),
            (result.admin_marks, FORGET_DELETED_ADMIN),
        )
        if count
    ]
    lines = [FORGET_DELETED, *deleted] if deleted else [FORGET_NOTHING_DELETED]
    if result.kept and result.kept_until is not None:
        wait, purge = human_duration(result.kept_until - now), human_duration(purge_interval_s)
        lines.append(FORGET_KEPT.format(wait=wait, purge=purge))
    else:
        lines.append(FORGET_NOTHING_KEPT)
    return "\n".join(lines)

"""Strings every frontend shares, and the one place errors and quota refusals become words."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from bot.i18n import ENGLISH, Lang
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
    ImageTooThin,
    InferenceFailed,
    InferenceTimeout,
    JobTimeout,
    MediaProblem,
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
    "DURATION_HOURS",
    "DURATION_HOURS_MINUTES",
    "DURATION_MINUTES",
    "DURATION_MINUTES_SECONDS",
    "DURATION_SECONDS",
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
    "IMAGE_TOO_THIN",
    "LIMIT_OUT_OF_RANGE",
    "MEDIA_ARCHIVE",
    "MEDIA_CORRUPT_ANIMATION",
    "MEDIA_CORRUPT_IMAGE",
    "MEDIA_CORRUPT_VIDEO",
    "MEDIA_EMPTY",
    "MEDIA_FORMAT_NOT_SUPPORTED",
    "MEDIA_METADATA_TOO_LARGE",
    "MEDIA_NOT_AN_IMAGE",
    "MEDIA_NOT_A_REGULAR_FILE",
    "MEDIA_NOT_A_VIDEO",
    "MEDIA_NOT_RGB_PIXELS",
    "MEDIA_NO_FRAMES",
    "MEDIA_NO_PICTURE_SIZE",
    "MEDIA_NO_VIDEO_TRACK",
    "MEDIA_PROBLEMS",
    "MEDIA_STILL_PICTURE",
    "MEDIA_VIDEO_AS_PHOTO",
    "NO_TOKEN",
    "OPTIONS_UNUSED",
    "OPTIONS_USED",
    "OPTION_NAMES_OR",
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
FORGET_DELETED_ADMIN = "\u2022 your user id beside limits you set as an admin (the limits stay)"
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
# UNSUPPORTED's {reason}, one per engine.errors.MediaProblem; {format} names the refused
# format ("HEIC", "SVG"...). The English is engine.errors.MEDIA_PROBLEM_TEXT (str() of the error).
MEDIA_EMPTY = "file is empty"
MEDIA_NOT_A_REGULAR_FILE = "not a regular file"
MEDIA_NOT_AN_IMAGE = "not an image"
MEDIA_FORMAT_NOT_SUPPORTED = "{format} is not supported for photos; send a JPEG, PNG or WebP"
MEDIA_VIDEO_AS_PHOTO = "video files are not supported here; send a photo"
MEDIA_ARCHIVE = "archives are not supported; send a photo"
MEDIA_METADATA_TOO_LARGE = "its embedded metadata is too large"
MEDIA_CORRUPT_IMAGE = "image data is corrupt or truncated"
MEDIA_NOT_A_VIDEO = "not a video; send an MP4, MOV, WebM, GIF, or an animated WebP or PNG"
MEDIA_CORRUPT_VIDEO = "video data is corrupt or truncated"
MEDIA_NO_VIDEO_TRACK = "the file has no video track"
MEDIA_NO_FRAMES = "the video has no frames"
MEDIA_NO_PICTURE_SIZE = "the video track has no picture size"
MEDIA_STILL_PICTURE = "a still picture, not an animation; send it as a photo"
MEDIA_CORRUPT_ANIMATION = "animation data is corrupt or truncated"
MEDIA_NOT_RGB_PIXELS = "engine jobs take HxWx3 uint8 RGB images"
MEDIA_PROBLEMS: Mapping[MediaProblem, str] = {
    MediaProblem.EMPTY: MEDIA_EMPTY,
    MediaProblem.NOT_A_REGULAR_FILE: MEDIA_NOT_A_REGULAR_FILE,
    MediaProblem.NOT_AN_IMAGE: MEDIA_NOT_AN_IMAGE,
    MediaProblem.FORMAT_NOT_SUPPORTED: MEDIA_FORMAT_NOT_SUPPORTED,
    MediaProblem.VIDEO_AS_PHOTO: MEDIA_VIDEO_AS_PHOTO,
    MediaProblem.ARCHIVE: MEDIA_ARCHIVE,
    MediaProblem.METADATA_TOO_LARGE: MEDIA_METADATA_TOO_LARGE,
    MediaProblem.CORRUPT_IMAGE: MEDIA_CORRUPT_IMAGE,
    MediaProblem.NOT_A_VIDEO: MEDIA_NOT_A_VIDEO,
    MediaProblem.CORRUPT_VIDEO: MEDIA_CORRUPT_VIDEO,
    MediaProblem.NO_VIDEO_TRACK: MEDIA_NO_VIDEO_TRACK,
    MediaProblem.NO_FRAMES: MEDIA_NO_FRAMES,
    MediaProblem.NO_PICTURE_SIZE: MEDIA_NO_PICTURE_SIZE,
    MediaProblem.STILL_PICTURE: MEDIA_STILL_PICTURE,
    MediaProblem.CORRUPT_ANIMATION: MEDIA_CORRUPT_ANIMATION,
    MediaProblem.NOT_RGB_PIXELS: MEDIA_NOT_RGB_PIXELS,
}
IMAGE_TOO_LARGE = (
    "That image is too big ({megapixels:.0f} megapixels). "
    "Please send one under {limit_megapixels:.0f} megapixels."
)
IMAGE_TOO_SMALL = (
    "That image is too small ({width}x{height}). Each side needs at least {min_side} pixels."
)
IMAGE_TOO_THIN = (
    "That image is too long and thin to draw ({width}x{height}). "
    "Its longer side can be at most {max_ratio} times its shorter side."
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
OPTION_NAMES_OR = " or "  # between the names in OPTIONS_UNUSED
NO_TOKEN = (
    "No bot token is set, so there is nothing to run. Set {telegram_env} for Telegram "
    "and/or {discord_env} for Discord in {dotenv} or the environment, then run `toonbot run` "
    "again."
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
# human_duration's words ("8 s", "4 min 5 s", "3 h 12 min"), each language its own units.
DURATION_SECONDS = "{seconds} s"
DURATION_MINUTES = "{minutes} min"
DURATION_MINUTES_SECONDS = "{minutes} min {seconds} s"
DURATION_HOURS = "{hours} h"
DURATION_HOURS_MINUTES = "{hours} h {minutes} min"

_MB = 1024 * 1024


def error_message(exc: ToonError, lang: Lang = ENGLISH) -> str:
    """A friendly, stack-trace-free sentence for any engine error, in `lang`."""
    match exc:
        case QueueFull():
            return lang(BUSY)
        case JobTimeout() | InferenceTimeout():
            return lang(TIMED_OUT)
        case EngineClosed():
            return lang(SHUTTING_DOWN)
        case ImageTooLarge(pixels=pixels, limit=limit):
            text = lang(IMAGE_TOO_LARGE)
            return text.format(megapixels=pixels / 1e6, limit_megapixels=limit / 1e6)
        case ImageTooThin(width=width, height=height, max_ratio=max_ratio):
            return lang(IMAGE_TOO_THIN).format(width=width, height=height, max_ratio=max_ratio)
        case ImageTooSmall(width=width, height=height, min_side=min_side):
            return lang(IMAGE_TOO_SMALL).format(width=width, height=height, min_side=min_side)
        case FileTooLarge(size=size, limit=limit):
            return lang(FILE_TOO_LARGE).format(size_mb=size / _MB, limit_mb=limit / _MB)
        case VideoTooLong(duration_s=duration, limit_s=limit):
            return lang(VIDEO_TOO_LONG).format(duration=duration, limit=limit)
        case VideoTooManyFrames(frames=frames, limit=limit):
            return lang(VIDEO_TOO_MANY_FRAMES).format(frames=frames, limit=limit)
        case UnsupportedMedia(problem=problem, format_name=format_name):
            # The reason is translated too: the engine's English text never reaches a user.
            reason = lang(MEDIA_PROBLEMS[problem]).format(format=format_name)
            return lang(UNSUPPORTED).format(reason=reason)
        case UnknownStyle(name=name, available=available):
            return lang(UNKNOWN_STYLE).format(name=name, available=", ".join(available))
        case BadStyleOption(name=name, reason="unknown option"):
            return lang(OPTION_UNKNOWN).format(name=name)
        case BadStyleOption(name=name, value=value, reason="out of range"):
            return lang(OPTION_OUT_OF_RANGE).format(name=name, value=value)
        case BadStyleOption(name=name, value=value):
            return lang(OPTION_NOT_A_NUMBER).format(name=name, value=value)
        case InferenceFailed():
            return lang(FAILED)
    return lang(FAILED)


def options_note(
    style: str, given: Mapping[str, float], honoured: Sequence[str], lang: Lang = ENGLISH
) -> str:
    """Lines (each after a newline) for a result's text: the options it was drawn with, and
    those `style` does not use; "" when no option was given."""
    setting = lang(OPTION_SETTING)
    used = [setting.format(name=k, value=v) for k, v in given.items() if k in honoured]
    unused = [k for k in given if k not in honoured]
    lines = [lang(OPTIONS_USED).format(options=", ".join(used))] if used else []
    if unused:
        names = lang(OPTION_NAMES_OR).join(unused)
        lines.append(lang(OPTIONS_UNUSED).format(style=style, names=names))
    return "".join("\n" + line for line in lines)


def quota_message(exc: QuotaError, lang: Lang = ENGLISH) -> str:
    """A friendly sentence for a refused photo or a rejected admin limit, in `lang`."""
    match exc:
        case QuotaExceeded(limit=0):
            return lang(TOONS_OFF)
        case QuotaExceeded(reason="daily", limit=limit, retry_after_s=wait):
            # One catalogue entry with plural forms (bot.i18n.catalog.PLURALS).
            text = lang.plural(DAILY_LIMIT_ONE, DAILY_LIMIT, limit)
            return text.format(limit=limit, wait=human_duration(wait or 0, lang))
        case QuotaExceeded(reason="chat_hourly", limit=limit, retry_after_s=wait):
            wait_text = human_duration(wait or 0, lang)
            return lang(CHAT_HOURLY_LIMIT).format(limit=limit, wait=wait_text)
        case QuotaExceeded(retry_after_s=wait):
            return lang(COOLDOWN).format(wait=human_duration(wait or 0, lang))
        case QuotaUnavailable():
            return lang(QUOTA_UNAVAILABLE)
        case LimitOutOfRange(name=name, value=value, low=low, high=high):
            return lang(LIMIT_OUT_OF_RANGE).format(name=name, value=value, low=low, high=high)
    return lang(FAILED)


def quota_status_message(status: QuotaStatus, lang: Lang = ENGLISH) -> str:
    """The /quota reply: today's count, the chat's hourly count if limited, any cooldown."""
    if status.daily_limit == 0:
        return lang(TOONS_OFF)
    lines = [
        lang(QUOTA_STATUS).format(
            used=status.used_today,
            limit=status.daily_limit,
            remaining=status.remaining_today,
            wait=human_duration(status.resets_in_s, lang),
        )
    ]
    if status.chat_hourly_limit > 0:
        lines.append(
            lang(QUOTA_HOURLY_LINE).format(
                used=status.chat_hourly_used,
                limit=status.chat_hourly_limit,
                wait=human_duration(status.chat_hourly_resets_in_s, lang),
            )
        )
    if status.cooldown_remaining_s > 0:
        wait = human_duration(status.cooldown_remaining_s, lang)
        lines.append(lang(QUOTA_COOLDOWN_LINE).format(wait=wait))
    return "\n".join(lines)


def human_duration(seconds: float, lang: Lang = ENGLISH) -> str:
    """Seconds as "8 s", "4 min 5 s" or "3 h 12 min" (in `lang`'s units), rounded up so users
    never come too early."""
    total = max(1, math.ceil(seconds))
    if total < 60:
        return lang(DURATION_SECONDS).format(seconds=total)
    if total < 3600:
        minutes, rest = divmod(total, 60)
        if rest:
            return lang(DURATION_MINUTES_SECONDS).format(minutes=minutes, seconds=rest)
        return lang(DURATION_MINUTES).format(minutes=minutes)
    hours, minutes = divmod(math.ceil(total / 60), 60)
    if minutes:
        return lang(DURATION_HOURS_MINUTES).format(hours=hours, minutes=minutes)
    return lang(DURATION_HOURS).format(hours=hours)


def forget_message(
    result: ForgetResult, *, now: float, purge_interval_s: float, lang: Lang = ENGLISH
) -> str:
    """The /forget reply: what was deleted, then what is kept and until when, in `lang`."""
    deleted = [
        lang(line)
        for count, line in (
            (result.preferences, FORGET_DELETED_STYLE),
            (result.history, FORGET_DELETED_HISTORY),
            (result.admin_marks, FORGET_DELETED_ADMIN),
        )
        if count
    ]
    lines = [lang(FORGET_DELETED), *deleted] if deleted else [lang(FORGET_NOTHING_DELETED)]
    if result.kept and result.kept_until is not None:
        wait = human_duration(result.kept_until - now, lang)
        purge = human_duration(purge_interval_s, lang)
        lines.append(lang(FORGET_KEPT).format(wait=wait, purge=purge))
    else:
        lines.append(lang(FORGET_NOTHING_KEPT))
    return "\n".join(lines)

"""The Discord bot's words (sent as plain content)."""

from __future__ import annotations

from bot.messages.common import RESTARTED

__all__ = [
    "DC_ADMIN_ONLY",
    "DC_BAD_TOKEN",
    "DC_DELETE_BUTTON",
    "DC_DELETE_NOT_YOURS",
    "DC_DOWNLOAD_FAILED",
    "DC_HELP",
    "DC_HELP_SAMPLE",
    "DC_HELP_STYLE",
    "DC_LIMITS",
    "DC_LIMIT_SET",
    "DC_NOT_AN_IMAGE",
    "DC_NO_IMAGE",
    "DC_ORIGINAL_GONE",
    "DC_PRIVACY",
    "DC_RESTARTED",
    "DC_RESTYLE_BUTTON",
    "DC_RESULT",
    "DC_SERVER_ERROR",
    "DC_SERVER_STYLE_SET",
    "DC_START_FAILED",
    "DC_STATUS_DRAWING",
    "DC_STATUS_QUEUED",
    "DC_STATUS_STARTED",
    "DC_STATUS_STARTED_CLIP",
    "DC_STYLE_SET",
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
DC_NOT_AN_IMAGE = (
    "That file isn't a picture or a clip. Please attach a JPEG, PNG or WebP photo, "
    "or an MP4, MOV, WebM or GIF clip."
)
DC_NO_IMAGE = "That message has no picture I can draw. Pick a message with a JPEG, PNG or WebP."
DC_DOWNLOAD_FAILED = "I couldn't fetch your picture from Discord. Please try again."
DC_ORIGINAL_GONE = "I can't find the original picture any more. Please send it again."
DC_SERVER_ERROR = "Sorry, something went wrong on my side. Please try again."
DC_HELP = (
    "How to use me:\n"
    "\u2022 /toon with a picture attached redraws it; pick a style, and texture or color from "
    "0 to 1 to tune the look (less texture is cleaner, more color more vivid).\n"
    "\u2022 Right-click a message \u2192 Apps \u2192 Toonify draws the picture in it.\n"
    "\u2022 Videos and GIFs come back drawn the same way.\n"
    "\u2022 Click a button under a result to redraw it in another style.\n"
    "\u2022 I draw whatever picture I'm given: please ask people before you send me their "
    "photo. /toon-privacy says what I keep about you.\n"
    "\n"
    "Styles (yours is {current}):\n"
    "{styles}\n"
    "\n"
    "/toon-style \u2014 pick your usual style\n"
    "/toon-quota \u2014 how many pictures you have left\n"
    "/toon-privacy \u2014 what I keep about you; /toon-forget \u2014 delete it\n"
    "/toon-admin \u2014 for server managers: the server's limits and default style"
)
DC_PRIVACY = (
    "What I keep about you, and for how long:\n"
    "\u2022 Picture counts, for the limits: how many pictures you had on each server (or in "
    "each DM) per UTC day, and when you last had one (for the cooldown). A day's counts are "
    "deleted at the first clean-up after midnight UTC (I clean up every {purge}); the time of "
    "your last picture at the first clean-up {cooldown_max} after it. A server's hourly count "
    "is kept the same way but is the whole server's, not yours.\n"
    "\u2022 Your usual style (/toon-style), until you change it or use /toon-forget. A server's "
    "default style belongs to the server and stays.\n"
    "\u2022 While a picture is being drawn: a note of the charge (which channel and message to "
    "answer, and in which language), deleted as soon as it is sent or refunded.\n"
    "\u2022 If you change a server's limits as a manager: your user id beside them, until they "
    "are changed again or you use /toon-forget.\n"
    "\n"
    "Your photos and videos are never stored: I hold them in memory while I draw them, and a "
    "clip's result sits in a temporary file only while it is encoded. What I post "
    "stays in the channel like any message; delete it there (results have a Delete button).\n"
    "My logs name you only by a scrambled tag, never by your id or name. Whoever runs this bot "
    "decides how long logs and backups are kept.\n"
    "\n"
    "/toon-forget deletes your style, your past counts and your user id beside limits now. "
    "Today's counts, a running cooldown and pictures being drawn stay until they expire, so "
    "limits can't be reset this way."
)
DC_HELP_STYLE = "\u2022 {name}: {description}"
DC_HELP_SAMPLE = "A sample: the photo, then webtoon, sketch and classic."
DC_STYLE_SET = "Done! I'll draw your pictures in {style} style."
DC_SERVER_STYLE_SET = (
    "Done: {style} is now this server's default style, for everyone who hasn't picked their own."
)
DC_RESTARTED = "{mention}, " + RESTARTED
DC_ADMIN_ONLY = (
    "Sorry, only people who can manage this server can see or change its limits and default style."
)
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

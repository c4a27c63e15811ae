"""The Telegram bot's words (plain text, no parse mode)."""

from __future__ import annotations

__all__ = [
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
    "TG_PRIVACY",
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
    "\u2022 I draw whatever photo I'm sent: please ask people before you send me their picture. "
    "/privacy says what I keep about you.\n"
    "\n"
    "Styles (yours is {current}):\n"
    "{styles}\n"
    "\n"
    "/style \u2014 pick your usual style\n"
    "/quota \u2014 how many pictures you have left\n"
    "/privacy \u2014 what I keep about you; /forget \u2014 delete it\n"
    "/limits and /setlimit \u2014 for group admins: see or change the group's limits"
)
TG_PRIVACY = (
    "What I keep about you, and for how long:\n"
    "\u2022 Picture counts, for the limits: how many pictures you had in each chat per UTC day, "
    "and when you last had one (for the cooldown). A day's counts are deleted at the first "
    "clean-up after midnight UTC (I clean up every {purge}); the time of your last picture "
    "at the first clean-up {cooldown_max} after it. A group's hourly count is kept the same way "
    "but is the whole group's, not yours.\n"
    "\u2022 Your usual style (/style), until you change it or use /forget.\n"
    "\u2022 While a picture is being drawn: a note of the charge (which chat and message to "
    "answer, and in which language), deleted as soon as it is sent or refunded.\n"
    "\u2022 If you change a group's limits as its admin: your user id beside them, until they "
    "are changed again or you use /forget.\n"
    "\n"
    "Your photos and videos are never stored: I hold them in memory while I draw them, and a "
    "clip's result sits in a temporary file only while it is encoded. What I send "
    "back stays in the chat like any message; delete it there.\n"
    "My logs name you only by a scrambled tag, never by your id or name. Whoever runs this bot "
    "decides how long logs and backups are kept.\n"
    "\n"
    "/forget deletes your style, your past counts and your user id beside limits now. Today's "
    "counts, a running cooldown and pictures being drawn stay until they expire, so limits "
    "can't be reset this way."
)
TG_HELP_STYLE = "\u2022 {name}: {description}"
TG_HELP_SAMPLE = "A sample: the photo, then webtoon, sketch and classic."
TG_VIDEO_PROGRESS = "Drawing your clip\u2026 {percent}%"
TG_VIDEO_CAPTION = "Drawn in {style} style."
TG_VIDEO_RESULT_TOO_BIG = (
    "The drawn clip came out too big for Telegram ({size:.1f} MB; the limit is {limit:.0f} MB). "
    "Please send a shorter clip."
)
TG_NOT_AN_IMAGE = (
    "That file isn't a picture or a clip. Please send a photo, a JPEG, PNG or WebP file, "
    "or a video, a GIF or a sticker."
)
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
    ("privacy", "What I keep about you"),
    ("forget", "Delete what I keep about you"),
)
TG_ADMIN_COMMAND_MENU: tuple[tuple[str, str], ...] = (
    ("limits", "Show this group's limits"),
    ("setlimit", "Change one of this group's limits"),
)
# Printed for whoever runs `toonbot run`.
TG_BAD_TOKEN = "Telegram refused the bot token in {env}; check it with @BotFather."
TG_START_FAILED = "could not start the Telegram bot: {reason}"

"""Which Discord attachments are pictures and which are clips, judged by MIME type and name."""

from __future__ import annotations

from pathlib import PurePosixPath

import discord

__all__ = [
    "IMAGE_EXTENSIONS",
    "MOTION_EXTENSIONS",
    "find_image",
    "is_gif",
    "is_motion",
    "looks_like_image",
]

MOTION_EXTENSIONS = frozenset({".gif", ".mp4", ".mov", ".webm", ".mkv", ".avi", ".m4v"})
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jfif", ".png", ".webp", ".heic", ".avif", ".bmp"})


def find_image(attachments: list[discord.Attachment]) -> discord.Attachment | None:
    """The first attachment that looks like a picture, if any."""
    for attachment in attachments:
        if looks_like_image(attachment):
            return attachment
    return None


def is_motion(attachment: discord.Attachment) -> bool:
    """A GIF or a video: drawn frame by frame."""
    mime = (attachment.content_type or "").lower()
    suffix = PurePosixPath(attachment.filename).suffix.lower()
    return mime == "image/gif" or mime.startswith("video/") or suffix in MOTION_EXTENSIONS


def is_gif(attachment: discord.Attachment) -> bool:
    """A GIF, which comes back as a GIF."""
    mime = (attachment.content_type or "").lower()
    return mime == "image/gif" or PurePosixPath(attachment.filename).suffix.lower() == ".gif"


def looks_like_image(attachment: discord.Attachment) -> bool:
    """A still picture by MIME type, or by extension when Discord gave no type."""
    mime = (attachment.content_type or "").lower()
    if mime.startswith("image/") and mime != "image/gif":
        return True
    return not mime and PurePosixPath(attachment.filename).suffix.lower() in IMAGE_EXTENSIONS

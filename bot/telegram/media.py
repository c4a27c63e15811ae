"""Which kind of media a Telegram message carries, and the one file we would download for it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import PurePosixPath

from telegram import Document, Message, Sticker

__all__ = ["IMAGE_EXTENSIONS", "TELEGRAM_DOWNLOAD_LIMIT", "Media", "MediaKind", "find_media"]

# getFile refuses bigger files; checking the declared size first saves a pointless round trip.
# Telegram documents it as "20 MB" and enforces 20 MiB, the same figure as config.toml's default.
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024

# Extensions that look like pictures even when the mime type is missing or generic. Formats the
# decoder refuses (HEIC, BMP, ...) are still fetched so the user hears exactly why they can't be used.
IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jfif", ".png", ".webp", ".heic", ".heif", ".avif", ".bmp", ".tif", ".tiff"}
)
_VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi", ".gif"})


class MediaKind(enum.Enum):
    """What a message carries, as far as the bot cares."""

    PHOTO = "photo"  # a compressed Telegram photo
    IMAGE_FILE = "image_file"  # a picture sent as a file: answered with a document too
    VIDEO = "video"  # a video, or a video sent as a file: answered with a video
    ANIMATION = "animation"  # a GIF (Telegram converts them to silent mp4)
    VIDEO_NOTE = "video_note"  # a round video note: answered with a video note
    STICKER = "sticker"  # a static (WebP) sticker: drawn like a photo, answered with a photo
    VIDEO_STICKER = "video_sticker"  # a WebM sticker: drawn like a GIF, answered with one
    LOTTIE_STICKER = "lottie_sticker"  # an animated .tgs (vector Lottie) sticker: not drawable
    OTHER_FILE = "other_file"  # a document that is not a picture


@dataclass(frozen=True, slots=True)
class Media:
    """The media of one message: its kind, and for pictures and clips the file to fetch."""

    kind: MediaKind
    file_id: str = ""
    file_size: int | None = None

    @property
    def drawable(self) -> bool:
        """True when the bot can stylize this media: pictures and clips."""
        return self.kind not in (MediaKind.OTHER_FILE, MediaKind.LOTTIE_STICKER)

    @property
    def moving(self) -> bool:
        """True for videos, GIFs, video notes and video stickers.

        A picture file may still turn out to move (an animated WebP or APNG): the pipeline
        learns that only from the downloaded bytes."""
        return self.kind in _MOVING


_MOVING = frozenset(
    {MediaKind.VIDEO, MediaKind.ANIMATION, MediaKind.VIDEO_NOTE, MediaKind.VIDEO_STICKER}
)


def find_media(message: Message) -> Media | None:
    """Classify a message's media; None when it carries none the bot answers."""
    # A GIF message also has message.document set, so animation must be tested first.
    if message.animation is not None:
        animation = message.animation
        return Media(MediaKind.ANIMATION, animation.file_id, animation.file_size)
    if message.video is not None:
        return Media(MediaKind.VIDEO, message.video.file_id, message.video.file_size)
    if message.video_note is not None:
        note = message.video_note
        return Media(MediaKind.VIDEO_NOTE, note.file_id, note.file_size)
    if message.photo:
        largest = message.photo[-1]  # Telegram lists sizes smallest first
        return Media(MediaKind.PHOTO, largest.file_id, largest.file_size)
    if message.sticker is not None:
        return _classify_sticker(message.sticker)
    if message.document is not None:
        return _classify_document(message.document)
    return None


def _classify_sticker(sticker: Sticker) -> Media:
    # is_animated: a gzipped Lottie (.tgs) vector animation, which has no pixels to draw.
    if sticker.is_animated:
        return Media(MediaKind.LOTTIE_STICKER)
    kind = MediaKind.VIDEO_STICKER if sticker.is_video else MediaKind.STICKER
    return Media(kind, sticker.file_id, sticker.file_size)


def _classify_document(document: Document) -> Media:
    mime = (document.mime_type or "").lower()
    suffix = PurePosixPath(document.file_name or "").suffix.lower()
    if mime == "image/gif" or suffix == ".gif":
        return Media(MediaKind.ANIMATION, document.file_id, document.file_size)
    if mime.startswith("video/") or suffix in _VIDEO_EXTENSIONS:
        return Media(MediaKind.VIDEO, document.file_id, document.file_size)
    if mime.startswith("image/") or suffix in IMAGE_EXTENSIONS:
        return Media(MediaKind.IMAGE_FILE, document.file_id, document.file_size)
    return Media(MediaKind.OTHER_FILE)

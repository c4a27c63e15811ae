"""Reading captions and classifying media, on PTB objects parsed from Bot API JSON."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Message

from bot.telegram.captions import StyleRequest, parse_caption
from bot.telegram.keyboards import RESTYLE_PREFIX, callback_style
from bot.telegram.media import Media, MediaKind, find_media


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        (None, StyleRequest()),
        ("   ", StyleRequest()),
        ("Sketch", StyleRequest(style="sketch")),
        ("/toon", StyleRequest(command=True)),
        ("/toon CLASSIC", StyleRequest(command=True, style="classic")),
        ("/toon@Toon_Test_Bot sketch", StyleRequest(command=True, style="sketch")),
        ("/toon@other_bot sketch", None),
        ("/start sketch", StyleRequest()),
        ("me and my cat", StyleRequest()),
    ],
)
def test_parse_caption(caption: str | None, expected: StyleRequest | None) -> None:
    assert parse_caption(caption, "toon_test_bot") == expected


def message(**content: Any) -> Message:
    data = {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, **content}
    parsed = Message.de_json(data, None)
    assert parsed is not None
    return parsed


def file(file_id: str, **extra: Any) -> dict[str, Any]:
    return {"file_id": file_id, "file_unique_id": "u" + file_id, **extra}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            {
                "photo": [
                    file("s", width=90, height=60),
                    file("l", width=900, height=600, file_size=7),
                ]
            },
            Media(MediaKind.PHOTO, "l", 7),
        ),
        ({"document": file("d", mime_type="image/png")}, Media(MediaKind.IMAGE_FILE, "d")),
        ({"document": file("d", file_name="IMG_1.HEIC")}, Media(MediaKind.IMAGE_FILE, "d")),
        ({"document": file("d", mime_type="application/pdf")}, Media(MediaKind.OTHER_FILE)),
        ({"document": file("d", mime_type="video/quicktime")}, Media(MediaKind.VIDEO, "d")),
        ({"document": file("d", file_name="x.gif")}, Media(MediaKind.ANIMATION, "d")),
        ({"video": file("m", width=1, height=1, duration=1)}, Media(MediaKind.VIDEO, "m")),
        (
            {
                "animation": file("a", width=1, height=1, duration=1),
                "document": file("a", mime_type="image/gif", file_name="a.gif"),
            },
            Media(MediaKind.ANIMATION, "a"),
        ),
        ({"video_note": file("v", length=240, duration=1)}, Media(MediaKind.VIDEO_NOTE, "v")),
        ({"text": "hi"}, None),
    ],
)
def test_find_media(content: dict[str, Any], expected: Media | None) -> None:
    assert find_media(message(**content)) == expected


def test_callback_style() -> None:
    assert callback_style("restyle:sketch", RESTYLE_PREFIX) == "sketch"
    assert callback_style("restyle:", RESTYLE_PREFIX) is None
    assert callback_style("style:sketch", RESTYLE_PREFIX) is None
    assert callback_style(None, RESTYLE_PREFIX) is None

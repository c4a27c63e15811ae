"""A Korean user whose file is refused gets the reason in Korean too, never the engine's English
(which used to be pasted into the translated sentence: "파일을 읽을 수 없어요(HEIC is not ...)")."""

from __future__ import annotations

import re

import pytest

from bot import messages
from bot.i18n import lang_for
from engine.errors import MEDIA_PROBLEM_TEXT, MediaProblem, UnsupportedMedia
from tests.bot.telegram.conftest import Toonbot
from tests.fakes.corpus import sample

KOREAN = 2001
# An iPhone photo sent as a file: an ISO-BMFF "ftyp" box with a HEIF brand.
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
FORMAT_NAMES = re.compile(r"(?<![A-Za-z])(?:JPEG|PNG|WebP|MP4|MOV|WebM|GIF|HEIC|SVG)(?![A-Za-z])")


@pytest.mark.parametrize(
    ("data", "file_name", "mime", "problem", "format_name"),
    [
        (HEIC, "IMG_0001.HEIC", "image/heic", MediaProblem.FORMAT_NOT_SUPPORTED, "HEIC"),
        (sample("svg").data, "logo.svg", "image/svg+xml", MediaProblem.FORMAT_NOT_SUPPORTED, "SVG"),
        (sample("zip_bomb_as_jpg").data, "photo.jpg", "image/jpeg", MediaProblem.ARCHIVE, ""),
    ],
    ids=["heic", "svg", "archive"],
)
async def test_a_refused_file_is_explained_all_in_korean(
    toonbot: Toonbot,
    data: bytes,
    file_name: str,
    mime: str,
    problem: MediaProblem,
    format_name: str,
) -> None:
    fake = toonbot.fake
    fake.languages[KOREAN] = "ko-KR"
    fake.push_document(KOREAN, data, file_name=file_name, mime_type=mime)
    refused = UnsupportedMedia(problem, format_name=format_name)
    expected = messages.error_message(refused, lang_for("ko"))
    await fake.wait_for(lambda: expected in fake.texts(KOREAN))
    assert expected.startswith("파일을 읽을 수 없어요(")
    english = MEDIA_PROBLEM_TEXT[problem].format(format=format_name)
    for text in fake.texts(KOREAN):
        assert english not in text
        # Nothing Latin but the names of formats: no English reason, nothing untranslated.
        assert not re.search(r"[A-Za-z]", FORMAT_NAMES.sub("", text)), text
    assert toonbot.images_drawn == 0

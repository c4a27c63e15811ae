"""Why a file was refused reaches users as data: every engine MediaProblem has its own message,
English and translated, so no engine English ends up inside a translated reply."""

from __future__ import annotations

import pickle
import re

import pytest

from bot import messages
from bot.i18n import lang_for
from bot.i18n.catalog import shipped_locales, translatable_messages
from engine.errors import MEDIA_PROBLEM_TEXT, BadStyleOption, MediaProblem, UnsupportedMedia
from engine.remote.wire import CarriedError

LOCALES = sorted(shipped_locales())
# Names that stay as they are in every language: formats and containers.
FORMAT_NAMES = re.compile(
    r"(?<![A-Za-z])(?:JPEG|PNG|WebP|APNG|MP4|MOV|WebM|GIF|HEIC|SVG)(?![A-Za-z])"
)


def refusal(problem: MediaProblem) -> UnsupportedMedia:
    name = "HEIC" if problem is MediaProblem.FORMAT_NOT_SUPPORTED else ""
    return UnsupportedMedia(problem, format_name=name)


def test_every_problem_has_a_message() -> None:
    assert set(messages.MEDIA_PROBLEMS) == set(MediaProblem)
    assert len(set(messages.MEDIA_PROBLEMS.values())) == len(MediaProblem)  # one msgid each
    # Each is a catalogue entry (an exported constant), so the completeness checks of
    # test_i18n.py cover it too.
    assert set(messages.MEDIA_PROBLEMS.values()) <= set(translatable_messages().values())


@pytest.mark.parametrize("problem", list(MediaProblem))
def test_the_english_reply_says_what_the_log_says(problem: MediaProblem) -> None:
    exc = refusal(problem)
    assert messages.MEDIA_PROBLEMS[problem] == MEDIA_PROBLEM_TEXT[problem]
    assert messages.error_message(exc) == messages.UNSUPPORTED.format(reason=str(exc))


@pytest.mark.parametrize("code", LOCALES)
@pytest.mark.parametrize("problem", list(MediaProblem))
def test_every_problem_is_translated_with_no_english_left(code: str, problem: MediaProblem) -> None:
    lang, exc = lang_for(code), refusal(problem)
    english = messages.MEDIA_PROBLEMS[problem]
    assert lang(english) != english, f"{code} does not translate {english!r}"
    text = messages.error_message(exc, lang)
    assert str(exc) not in text
    if problem is MediaProblem.FORMAT_NOT_SUPPORTED:
        assert "HEIC" in text  # the format's name is filled in
    if code == "ko":
        assert not re.search(r"[A-Za-z]", FORMAT_NAMES.sub("", text)), text


def test_a_korean_heic_refusal_reads_korean() -> None:
    heic = UnsupportedMedia(MediaProblem.FORMAT_NOT_SUPPORTED, format_name="HEIC")
    text = messages.error_message(heic, lang_for("ko-KR"))
    assert text.startswith("파일을 읽을 수 없어요(HEIC 형식")
    assert "not supported" not in text


@pytest.mark.parametrize("reason", ["unknown option", "not a number", "out of range"])
def test_style_option_reasons_are_codes_not_words_for_users(reason: str) -> None:
    # BadStyleOption.reason picks a message; it is never pasted into one.
    exc = BadStyleOption("texture", "9", reason)  # type: ignore[arg-type]
    assert reason not in messages.error_message(exc)
    assert reason not in messages.error_message(exc, lang_for("ko"))


def test_the_problem_survives_the_remote_engine_wire() -> None:
    # RayEngine replicas send errors as CarriedError: the code, not words, crosses it.
    heic = UnsupportedMedia(MediaProblem.FORMAT_NOT_SUPPORTED, format_name="HEIC")
    carried = pickle.loads(pickle.dumps(CarriedError.from_error(heic))).rebuild()
    assert isinstance(carried, UnsupportedMedia)
    assert (carried.problem, carried.format_name, str(carried)) == (
        "format_not_supported",
        "HEIC",
        str(heic),
    )
    ko = lang_for("ko")
    assert messages.error_message(carried, ko) == messages.error_message(heic, ko)

"""Style options as frontends carry them: button codes, typed words, and their messages."""

from __future__ import annotations

import pytest

from bot import messages
from bot.options import decode_options, encode_options, honoured_options, option_word
from engine.errors import BadStyleOption
from engine.styles.options import OPTION_NAMES, StyleOptions


@pytest.mark.parametrize(
    ("options", "code"),
    [
        (StyleOptions(), ""),
        (StyleOptions(texture=0.2), "t200"),
        (StyleOptions(color=0.9), "c900"),
        (StyleOptions(texture=0.2, color=0.9), "t200c900"),
        (StyleOptions(texture=0.0, color=1.0), "t0c1000"),
        (StyleOptions(texture=0.255, color=1 / 3), "t255c333"),
    ],
)
def test_button_codes_round_trip(options: StyleOptions, code: str) -> None:
    assert encode_options(options) == code
    assert decode_options(code) == options


@pytest.mark.parametrize("code", ["x", "c900t200", "t", "t12345", "t2.5", "T200", "t200:c9"])
def test_codes_of_another_shape_are_not_options(code: str) -> None:
    assert decode_options(code) is None


def test_out_of_range_codes_are_refused() -> None:
    with pytest.raises(BadStyleOption) as refused:
        decode_options("t200c5000")
    assert (refused.value.name, refused.value.reason) == ("color", "out of range")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("texture=0.2", ("texture", "0.2")),
        ("Color=40%", ("color", "40%")),
        ("colour=0.9", ("color", "0.9")),  # British spelling
        ("texture=0,25", ("texture", "0.25")),
        ("texture=abc", ("texture", "abc")),  # an option name: answered, not drawn
        ("texture=", ("texture", "")),
        ("shine=1", ("shine", "1")),  # a number: answered as an unknown option
        ("shine=.5", ("shine", ".5")),
        ("a=b", None),  # ordinary text
        ("x==1", None),
        ("https://example.com/?q=1", None),
        ("1+1=2", None),
        ("sketch", None),
    ],
)
def test_option_words(word: str, expected: tuple[str, str] | None) -> None:
    assert option_word(word) == expected


def test_honoured_options_asks_the_engine_when_it_can() -> None:
    class Local:
        def option_names(self, style: str) -> tuple[str, ...]:
            return ("texture",) if style == "manhwa" else ()

    assert honoured_options(Local(), "manhwa") == ("texture",)
    assert honoured_options(Local(), "sketch") == ()
    assert honoured_options(object(), "sketch") == OPTION_NAMES  # a remote engine cannot say


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            BadStyleOption("shine", "1", "unknown option"),
            "I don't know the option \u201cshine\u201d. You can set texture and color, each from "
            "0 to 1, e.g. texture=0.2 color=0.9.",
        ),
        (
            BadStyleOption("texture", "abc", "not a number"),
            "The texture option takes a number from 0 to 1 (or 0% to 100%), e.g. texture=0.2 "
            "\u2014 \u201cabc\u201d isn't one.",
        ),
        (
            BadStyleOption("color", "5", "out of range"),
            "The color option goes from 0 to 1 (or 0% to 100%); \u201c5\u201d is outside that. "
            "Try e.g. color=0.2.",
        ),
    ],
)
def test_bad_options_get_friendly_messages(error: BadStyleOption, expected: str) -> None:
    assert messages.error_message(error) == expected


def test_the_unknown_option_message_names_every_option() -> None:
    text = messages.OPTION_UNKNOWN.format(name="x")
    assert all(name in text for name in OPTION_NAMES)


def test_options_note_lists_used_and_unused_options() -> None:
    both = {"texture": 0.2, "color": 0.9}
    assert messages.options_note("webtoon", {}, OPTION_NAMES) == ""
    assert messages.options_note("webtoon", both, OPTION_NAMES) == (
        "\nOptions: texture 0.2, color 0.9."
    )
    assert messages.options_note("manhwa", both, ("texture",)) == (
        "\nOptions: texture 0.2.\nmanhwa doesn't use color."
    )
    assert messages.options_note("sketch", both, ()) == "\nsketch doesn't use texture or color."

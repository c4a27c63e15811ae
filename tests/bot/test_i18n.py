"""The catalogues: complete, up to date with bot.messages, fields intact; and the language a
client's tag picks. (The frontends' use of them: telegram/ and discord/test_*_i18n.py.)"""

from __future__ import annotations

import io
import re
import string
from collections import Counter

import discord
import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot import messages
from bot.i18n import ENGLISH, available_locales, lang_for, pick_locale
from bot.i18n.catalog import (
    DOMAIN,
    ENGLISH_ONLY,
    PLURALS,
    catalogue_text,
    shipped_locales,
    translatable_messages,
)
from bot.i18n.extract import command_descriptions
from bot.quota import LimitOutOfRange, QuotaExceeded
from engine.errors import FileTooLarge, MediaProblem, UnsupportedMedia

LOCALES = sorted(shipped_locales())
Msgid = str | tuple[str, str]


def catalogue(code: str) -> Catalog:
    return read_po(io.StringIO(catalogue_text(code)), locale=code, domain=DOMAIN)


def expected_msgids() -> set[Msgid]:
    """What the bot sends: every user-facing constant, and the Discord command descriptions."""
    return {*translatable_messages().values(), *(d for _, d in command_descriptions())}


def fields(text: str) -> Counter[tuple[str, str, str | None]]:
    """The replacement fields of a format string: (name, spec, conversion), with multiplicity."""
    return Counter(
        (name, spec or "", conversion)
        for _, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    )


def entries(code: str) -> list[tuple[Msgid, list[str]]]:
    found = []
    for message in catalogue(code):
        if not message.id:
            continue  # the header
        strings = list(message.string) if message.pluralizable else [message.string]
        found.append((message.id, strings))
    return found


def test_korean_ships() -> None:
    assert "ko" in LOCALES
    assert available_locales() == {"en", *LOCALES}


def test_the_messages_the_catalogues_cover_are_the_user_facing_ones() -> None:
    found = translatable_messages()
    assert found["TG_HELP"] == messages.TG_HELP
    assert found["DAILY_LIMIT_ONE"] == (messages.DAILY_LIMIT_ONE, messages.DAILY_LIMIT)
    assert "DAILY_LIMIT" not in found  # one entry with plural forms
    assert found["TG_COMMAND_MENU[0]"] == messages.TG_COMMAND_MENU[0][1]
    assert not any(name.startswith("CLI_") for name in found)  # the command line is English
    assert not ENGLISH_ONLY & found.keys()
    # Every exported string constant is either translated or deliberately English.
    for name in messages.__all__:
        value = getattr(messages, name)
        if isinstance(value, str):
            covered = name in found or name in PLURALS.values() or name in ENGLISH_ONLY
            assert covered or name.startswith("CLI_"), name


def test_the_template_is_up_to_date() -> None:
    # `pybabel extract` (README, "Languages") was run after the last message change.
    template = read_po(io.StringIO(_template()))
    assert {m.id for m in template if m.id} == expected_msgids()


@pytest.mark.parametrize("code", LOCALES)
def test_every_catalogue_has_every_message_translated(code: str) -> None:
    catalog = catalogue(code)
    found = {message_id: strings for message_id, strings in entries(code)}
    missing = expected_msgids() - found.keys()
    assert not missing, f"{code} lacks {len(missing)}: {sorted(map(str, missing))[:3]}"
    for message_id, strings in found.items():
        assert all(s.strip() for s in strings), f"{code}: empty {message_id!r}"
        assert len(strings) == (catalog.num_plurals if isinstance(message_id, tuple) else 1)
    assert not [m.id for m in catalog if m.id and m.fuzzy], f"{code} has fuzzy entries"


@pytest.mark.parametrize("code", LOCALES)
def test_format_fields_match_exactly(code: str) -> None:
    for message_id, strings in entries(code):
        if isinstance(message_id, tuple):
            # Each plural form takes the fields of the singular or of the plural msgid.
            allowed = [fields(message_id[0]), fields(message_id[1])]
            for text in strings:
                assert fields(text) in allowed, (message_id, text)
        else:
            assert fields(strings[0]) == fields(message_id), (message_id, strings[0])


@pytest.mark.parametrize("code", LOCALES)
def test_translations_keep_the_layout_the_commands_and_the_option_keys(code: str) -> None:
    # Same line breaks and bullets/arrows/ticks; /commands and texture=0.2 are typed by users.
    marks = "\n\u2022\u2192\u2713\u2026"
    typed = re.compile(r"(?<![\w/])/[a-z][a-z-]*|\b[a-z_]+=[0-9]+(?:\.[0-9]+)?")
    for message_id, strings in entries(code):
        english = message_id[-1] if isinstance(message_id, tuple) else message_id
        for text in strings:
            assert Counter(c for c in text if c in marks) == Counter(
                c for c in english if c in marks
            ), (english, text)
            assert set(typed.findall(english)) <= set(typed.findall(text)), (english, text)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("ko", "ko"),
        ("ko-KR", "ko"),
        ("ko_KR", "ko"),
        ("KO", "ko"),
        (discord.Locale.korean, "ko"),
        ("en-US", "en"),
        (discord.Locale.american_english, "en"),
        ("pt-BR", "en"),
        ("zz", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_a_client_language_picks_its_catalogue_or_english(tag: object, expected: str) -> None:
    assert pick_locale(tag) == expected
    assert lang_for(tag).code == expected


def test_english_is_the_msgids_themselves() -> None:
    assert lang_for("en-GB") is ENGLISH
    assert ENGLISH(messages.TG_HELP) == messages.TG_HELP
    assert messages.error_message(FileTooLarge(25 * 2**20, 20 * 2**20), ENGLISH) == (
        "That file is too big (25.0 MB). The limit is 20 MB."
    )


def test_korean_replies_are_korean_with_their_data_filled_in() -> None:
    ko = lang_for("ko-KR")
    text = messages.error_message(FileTooLarge(25 * 2**20, 20 * 2**20), ko)
    assert text == "파일이 너무 커요(25.0 MB). 최대 20 MB까지 보낼 수 있어요."
    unsupported = messages.error_message(UnsupportedMedia(MediaProblem.NOT_AN_IMAGE), ko)
    assert unsupported.startswith("파일을 읽을 수 없어요(이미지 파일이 아니에요).")
    refused = messages.quota_message(LimitOutOfRange("daily_per_user", 0, 1, 1000), ko)
    assert refused == "daily_per_user 값은 1에서 1000 사이여야 해요(입력한 값: 0)."
    assert messages.human_duration(3725, ko) == "1시간 3분"
    assert messages.human_duration(65, ko) == "1분 5초"
    assert messages.human_duration(8, ko) == "8초"
    note = messages.options_note("sketch", {"texture": 0.2, "color": 0.9}, ["texture"], ko)
    assert note == "\n옵션: texture 0.2.\nsketch 스타일에는 color 옵션이 적용되지 않아요."


def test_the_daily_limit_has_plural_forms() -> None:
    one, five = QuotaExceeded("daily", 3600, 1), QuotaExceeded("daily", 3600, 5)
    # English keeps its two constants: "your toon" for one, "all 5 toons" for more.
    assert messages.quota_message(one) == messages.DAILY_LIMIT_ONE.format(wait="1 h")
    assert messages.quota_message(five) == messages.DAILY_LIMIT.format(limit=5, wait="1 h")
    # Korean has one form for every count, with the count in it.
    ko = lang_for("ko")
    assert messages.quota_message(one, ko) == (
        "오늘의 이용 한도(그림 1장)를 모두 썼어요. 1시간 후에 다시 이용할 수 있어요."
    )
    assert "그림 5장" in messages.quota_message(five, ko)


def _template() -> str:
    from importlib import resources

    return resources.files("bot.locales").joinpath(f"{DOMAIN}.pot").read_text(encoding="utf-8")

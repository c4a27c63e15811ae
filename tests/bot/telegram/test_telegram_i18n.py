"""Replies in the user's language: Telegram's language_code picks the catalogue per update."""

from __future__ import annotations

from bot import messages
from bot.i18n import lang_for
from engine.errors import MediaProblem, UnsupportedMedia
from engine.styles import describe_styles
from tests.bot.harness import photo_bytes
from tests.bot.telegram.conftest import Toonbot
from tests.fakes.telegram_server import Call, FakeTelegram

KOREAN, ENGLISH, BRAZILIAN = 2001, 2002, 2003
STYLES = ("webtoon", "sketch", "classic")  # the stand-in styles of conftest.py
ko = lang_for("ko")


def help_text(lang_code: str) -> str:
    lang = lang_for(lang_code)
    described = "\n".join(
        lang(messages.TG_HELP_STYLE).format(name=name, description=text)
        for name, text in describe_styles().items()
        if name in STYLES
    )
    return lang(messages.TG_HELP).format(styles=described, current="webtoon")


def button_texts(call: Call) -> list[str]:
    rows = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


async def wait_text(fake: FakeTelegram, chat: int, text: str) -> None:
    await fake.wait_for(lambda: text in fake.texts(chat))


async def test_a_korean_user_gets_korean_help_and_errors(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    fake.languages[KOREAN] = "ko-KR"
    fake.push_text(KOREAN, "/help")
    await wait_text(fake, KOREAN, help_text("ko"))
    assert help_text("ko").startswith("사용 방법:\n")
    await fake.wait_for(
        lambda: [
            c
            for c in fake.find("sendPhoto", chat_id=KOREAN)
            if c.params.get("caption") == ko(messages.TG_HELP_SAMPLE)
        ]
    )
    # Refused by the handler, and by the shared pipeline after downloading.
    fake.push_document(KOREAN, b"%PDF-1.7", file_name="cv.pdf", mime_type="application/pdf")
    await wait_text(fake, KOREAN, ko(messages.TG_NOT_AN_IMAGE))
    fake.push_document(KOREAN, b"not a photo", file_name="me.jpg", mime_type="image/jpeg")
    not_an_image = UnsupportedMedia(MediaProblem.NOT_AN_IMAGE)
    await wait_text(fake, KOREAN, messages.error_message(not_an_image, lang_for("ko")))
    assert not [t for t in fake.texts(KOREAN) if t.startswith(("I can't", "That file"))]


async def test_privacy_and_forget_answer_in_korean(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    fake.languages[KOREAN] = "ko-KR"
    fake.push_text(KOREAN, "/privacy")
    # The figures in the text are Korean durations too.
    await wait_text(
        fake, KOREAN, ko(messages.TG_PRIVACY).format(purge="1시간", cooldown_max="24시간")
    )
    fake.push_text(KOREAN, "/forget")  # nothing stored yet
    await wait_text(fake, KOREAN, "삭제할 정보가 없어요.\n그 밖에 저장된 정보는 없어요.")


async def test_a_korean_result_has_a_korean_caption_and_buttons(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    fake.languages[KOREAN] = "ko"
    fake.push_photo(KOREAN, photo_bytes(64, 48), caption="texture=0.3")
    [photo] = await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=KOREAN))
    caption = ko(messages.TG_RESULT_CAPTION).format(style="webtoon")
    assert photo.params["caption"] == caption + "\n옵션: texture 0.3."
    assert button_texts(photo) == [
        ko(messages.TG_RESTYLE_BUTTON).format(style=s) for s in ("sketch", "classic")
    ]
    assert ko(messages.TG_STATUS_STARTED) in fake.texts(KOREAN)  # the status line too


async def test_english_and_unknown_languages_get_english(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    fake.languages[ENGLISH] = "en-US"
    fake.languages[BRAZILIAN] = "pt-BR"  # no Portuguese catalogue: English
    for user in (ENGLISH, BRAZILIAN):
        fake.push_text(user, "/help")
        await wait_text(fake, user, help_text("en"))
        fake.push_document(user, b"%PDF-1.7", file_name="cv.pdf", mime_type="application/pdf")
        await wait_text(fake, user, messages.TG_NOT_AN_IMAGE)


async def test_the_command_menus_are_published_in_korean_too(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    korean = [c.params for c in fake.find("setMyCommands") if c.params.get("language_code")]
    everyone, admins = korean
    assert everyone["language_code"] == admins["language_code"] == "ko"
    menu = [{"command": n, "description": ko(d)} for n, d in messages.TG_COMMAND_MENU]
    assert everyone["commands"] == menu
    assert menu[0] == {
        "command": "toon",
        "description": "사진 그리기(사진 캡션에 쓰거나 사진에 답장)",
    }
    extra = [{"command": n, "description": ko(d)} for n, d in messages.TG_ADMIN_COMMAND_MENU]
    assert admins["commands"] == menu + extra
    assert admins["scope"] == {"type": "all_chat_administrators"}

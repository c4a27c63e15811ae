"""Replies in the user's language: each interaction's locale picks the catalogue; synced commands
carry Korean descriptions."""

from __future__ import annotations

from bot import messages
from bot.discord import sync_commands
from bot.i18n import lang_for
from engine.errors import MediaProblem, UnsupportedMedia
from tests.bot.discord.conftest import Toonbot
from tests.bot.harness import photo_bytes
from tests.fakes.discord_objects import JSON, TOKEN
from tests.fakes.discord_server import FakeDiscord

USER = 1001
STYLES = ("webtoon", "sketch", "classic")
ko = lang_for("ko")


def labels(message: JSON) -> list[str]:
    return [c["label"] for row in message.get("components", []) for c in row["components"]]


async def test_a_korean_client_gets_korean_help_and_errors(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    record = await fake.command(USER, "toon-help", locale="ko")
    [text] = await fake.wait_for(lambda: fake.ephemeral_texts(record))
    assert text.startswith(ko(messages.DC_HELP).split("{")[0])
    assert text.startswith("사용 방법:\n")
    assert text.endswith(ko(messages.DC_HELP_SAMPLE))

    bad = await fake.toon(USER, fake.upload(b"not a photo"), locale="ko")
    expected = messages.error_message(UnsupportedMedia(MediaProblem.NOT_AN_IMAGE), ko)
    await fake.wait_for(lambda: expected in fake.ephemeral_texts(bad))

    pdf = fake.upload(b"%PDF-1.7", "cv.pdf", "application/pdf")
    refused = await fake.toon(USER, pdf, locale="ko")
    await fake.wait_for(lambda: ko(messages.DC_NOT_AN_IMAGE) in fake.ephemeral_texts(refused))


async def test_privacy_answers_in_korean(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    record = await fake.command(USER, "toon-privacy", locale="ko")
    [text] = await fake.wait_for(lambda: fake.ephemeral_texts(record))
    assert text == ko(messages.DC_PRIVACY).format(purge="1시간", cooldown_max="24시간")
    forgot = await fake.command(USER, "toon-forget", locale="ko")
    [text] = await fake.wait_for(lambda: fake.ephemeral_texts(forgot))
    assert text == "삭제할 정보가 없어요.\n그 밖에 저장된 정보는 없어요."


async def test_a_korean_result_is_posted_in_korean(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    record = await fake.toon(USER, fake.upload(photo_bytes()), locale="ko")
    [message] = await fake.wait_for(lambda: fake.results(record))
    assert message["content"] == ko(messages.DC_RESULT).format(
        mention=f"<@{USER}>", style="webtoon"
    )
    assert labels(message) == [
        ko(messages.DC_RESTYLE_BUTTON).format(style="sketch"),
        ko(messages.DC_RESTYLE_BUTTON).format(style="classic"),
        "삭제",
    ]
    assert ko(messages.DC_STATUS_STARTED) in fake.ephemeral_texts(record)


async def test_english_and_other_locales_get_english(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    expected = messages.error_message(UnsupportedMedia(MediaProblem.NOT_AN_IMAGE))
    for locale in ("en-US", "pt-BR"):
        record = await fake.command(USER, "toon-help", locale=locale)
        [text] = await fake.wait_for(lambda r=record: fake.ephemeral_texts(r))
        assert text.startswith("How to use me:\n")
        bad = await fake.toon(USER, fake.upload(b"not a photo"), locale=locale)
        await fake.wait_for(lambda b=bad: expected in fake.ephemeral_texts(b))


async def test_synced_commands_carry_korean_descriptions_and_english_names(
    fake: FakeDiscord,
) -> None:
    await sync_commands(TOKEN, STYLES)
    by_name = {c["name"]: c for c in fake.commands["global"]}
    toon = by_name["toon"]
    assert toon["description"] == "Redraw a picture as webtoon art"
    assert toon["description_localizations"] == {"ko": "사진을 웹툰 그림으로 다시 그려요"}
    image = next(o for o in toon["options"] if o["name"] == "image")
    assert image["description_localizations"] == {"ko": ko(image["description"])}
    admin = by_name["toon-admin"]
    assert admin["description_localizations"]["ko"] == ko(admin["description"])
    for sub in admin["options"]:
        assert sub["description_localizations"] == {"ko": ko(sub["description"])}, sub["name"]
    for command in fake.commands["global"]:
        assert not command.get("name_localizations"), command["name"]  # /toon is /toon

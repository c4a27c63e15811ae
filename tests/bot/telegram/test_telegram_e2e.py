"""The Telegram bot driven over HTTP through the fake Bot API, as a user in a private chat would."""

from __future__ import annotations

import numpy as np
import pytest

from bot import messages
from engine.errors import FileTooLarge, MediaProblem, UnknownStyle, UnsupportedMedia
from engine.styles import describe_styles
from tests.bot.harness import decode_upload, expected_toon, photo_bytes
from tests.bot.telegram.conftest import Toonbot
from tests.fakes.clips import make_clip, make_gif, read_clip
from tests.fakes.telegram_objects import image_size
from tests.fakes.telegram_server import Call, FakeTelegram

USER = 1001
STYLES = ("webtoon", "sketch", "classic")  # the stand-in styles of conftest.py


def replies_to(call: Call) -> int | None:
    reply = call.params.get("reply_parameters") or {}
    return reply.get("message_id")


def buttons(call: Call) -> list[tuple[str, str]]:
    rows = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def used_today(bot: Toonbot, user: int = USER, chat: int | None = None) -> int:
    status = await bot.quota.status(f"tg:{user}", f"tg:{chat or user}")
    return status.used_today


async def wait_text(fake: FakeTelegram, chat: int, text: str) -> None:
    await fake.wait_for(lambda: text in fake.texts(chat))


async def photos_in(fake: FakeTelegram, chat: int) -> list[Call]:
    return await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=chat))


async def test_photo_is_answered_with_a_toon_photo(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    source = photo_bytes(96, 64)
    sent = fake.push_photo(USER, source)

    [photo] = await photos_in(fake, USER)
    toon = decode_upload(photo.files["photo"])
    assert toon.shape == (64, 96, 3)
    assert np.abs(toon.astype(int) - expected_toon(source, "webtoon")).max() <= 1
    assert replies_to(photo) == sent["message_id"]
    assert photo.params["caption"] == messages.TG_RESULT_CAPTION.format(style="webtoon")
    assert buttons(photo) == [
        (messages.TG_RESTYLE_BUTTON.format(style=s), f"restyle:{s}") for s in ("sketch", "classic")
    ]
    # The largest size was fetched, never the thumbnail; nothing else was sent.
    [get_file] = fake.find("getFile")
    assert get_file.params["file_id"] == sent["photo"][-1]["file_id"]
    assert fake.find("sendDocument", ok=None) == []
    [action] = fake.find("sendChatAction", chat_id=USER)
    assert action.params["action"] == "upload_photo"
    # One status message, a reply to the photo, removed once the result is there.
    [status] = fake.find("sendMessage", chat_id=USER)
    assert status.params["text"] == messages.TG_STATUS_STARTED
    assert replies_to(status) == sent["message_id"]
    await fake.wait_for(lambda: (USER, status.result["message_id"]) in fake.deleted)
    assert fake.calls.index(action) < fake.calls.index(status) < fake.calls.index(photo)
    assert await used_today(toonbot) == 1


async def test_status_message_shows_the_queue_position_then_drawing(toonbot: Toonbot) -> None:
    fake, webtoon = toonbot.fake, toonbot.styles["webtoon"]
    webtoon.hold()  # the first picture sits in the model, so the second waits in the queue
    fake.push_photo(USER, photo_bytes())
    await fake.wait_for(lambda: webtoon.images == 1)
    await wait_text(fake, USER, messages.TG_STATUS_DRAWING)
    other = USER + 1
    fake.push_photo(other, photo_bytes())
    queued = messages.TG_STATUS_QUEUED.format(position=1)
    await wait_text(fake, other, queued)
    assert messages.TG_STATUS_DRAWING not in fake.texts(other)

    webtoon.allow()  # the first finishes; the second moves into the model
    await photos_in(fake, USER)
    await fake.wait_for(lambda: webtoon.images == 2)
    await wait_text(fake, other, messages.TG_STATUS_DRAWING)
    assert fake.find("sendPhoto", chat_id=other) == []
    webtoon.allow()
    await photos_in(fake, other)

    assert fake.texts(other) == [
        messages.TG_STATUS_STARTED,
        queued,
        messages.TG_STATUS_DRAWING,
    ]
    [status] = fake.find("sendMessage", chat_id=other)
    edits = fake.find("editMessageText", chat_id=other)
    assert {e.params["message_id"] for e in edits} == {status.result["message_id"]}
    await fake.wait_for(lambda: len(fake.deleted) == 2)


async def test_image_file_gets_a_photo_and_the_untouched_file(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    source = photo_bytes(80, 48, fmt="PNG")
    sent = fake.push_document(USER, source, file_name="me.png", mime_type="image/png")

    [document] = await fake.wait_for(lambda: fake.find("sendDocument", chat_id=USER))
    [photo] = fake.find("sendPhoto", chat_id=USER)
    assert document.files["document"] == photo.files["photo"]  # the same bytes: no recompression
    assert np.array_equal(
        decode_upload(document.files["document"]), expected_toon(source, "webtoon")
    )
    assert document.params["_filename"] == "toon_webtoon.png"
    assert replies_to(document) == replies_to(photo) == sent["message_id"]


async def test_caption_picks_the_style_for_one_photo(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    source = photo_bytes()
    fake.push_photo(USER, source, caption="Sketch")
    fake.push_photo(USER + 1, source, caption="/toon classic")
    fake.push_photo(USER + 2, source, caption="a day at the beach")  # a sentence is no style

    for chat, style in ((USER, "sketch"), (USER + 1, "classic"), (USER + 2, "webtoon")):
        [photo] = await photos_in(fake, chat)
        assert np.array_equal(decode_upload(photo.files["photo"]), expected_toon(source, style))


async def test_unknown_style_in_caption_lists_the_styles_and_costs_nothing(
    toonbot: Toonbot,
) -> None:
    fake = toonbot.fake
    fake.push_photo(USER, photo_bytes(), caption="/toon vaporwave")
    text = messages.error_message(UnknownStyle("vaporwave", STYLES))
    await wait_text(fake, USER, text)
    assert "webtoon, sketch, classic" in text
    assert fake.find("getFile", ok=None) == []
    assert await used_today(toonbot) == 0


async def test_style_command_keyboard_remembers_the_choice(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    fake.push_text(USER, "/style")
    prompt = messages.TG_STYLE_PROMPT.format(current="webtoon")
    await wait_text(fake, USER, prompt)
    [menu] = fake.find("sendMessage", chat_id=USER)
    assert buttons(menu) == [
        (messages.TG_STYLE_BUTTON_CURRENT.format(style="webtoon"), "style:webtoon"),
        (messages.TG_STYLE_BUTTON.format(style="sketch"), "style:sketch"),
        (messages.TG_STYLE_BUTTON.format(style="classic"), "style:classic"),
    ]

    fake.press(USER, menu.result, "style:sketch")
    done = messages.TG_STYLE_SET.format(style="sketch")
    [answer] = await fake.wait_for(lambda: fake.find("answerCallbackQuery"))
    assert answer.params["text"] == done
    await wait_text(fake, USER, done)  # the menu is edited into the confirmation
    assert await toonbot.quota.get_style(f"tg:{USER}") == "sketch"

    source = photo_bytes()
    fake.push_photo(USER, source)
    [photo] = await photos_in(fake, USER)
    assert np.array_equal(decode_upload(photo.files["photo"]), expected_toon(source, "sketch"))

    # The style can be named directly, and a wrong name lists the right ones.
    fake.push_text(USER, "/style Classic")
    await wait_text(fake, USER, messages.TG_STYLE_SET.format(style="classic"))
    assert await toonbot.quota.get_style(f"tg:{USER}") == "classic"
    fake.push_text(USER, "/style anime")
    await wait_text(fake, USER, messages.error_message(UnknownStyle("anime", STYLES)))
    assert await toonbot.quota.get_style(f"tg:{USER}") == "classic"


async def test_redraw_button_works_from_reply_to_message_even_after_a_restart(
    toonbot: Toonbot,
) -> None:
    fake = toonbot.fake
    source = photo_bytes()
    sent = fake.push_photo(USER, source)
    [first] = await photos_in(fake, USER)

    await toonbot.restart()
    fake.press(USER, first.result, "restyle:classic")
    photos = await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=USER)[1:])
    [again] = photos
    assert np.array_equal(decode_upload(again.files["photo"]), expected_toon(source, "classic"))
    assert replies_to(again) == sent["message_id"]
    assert ("restyle:classic" not in dict(buttons(again)).values()) and buttons(again)
    [answer] = fake.find("answerCallbackQuery")
    assert answer.params["text"] == messages.TG_RESTYLE_STARTED.format(style="classic")
    assert await used_today(toonbot) == 2

    # A result whose original was deleted has nothing to redraw.
    orphan = {**first.result}
    orphan.pop("reply_to_message")
    fake.messages[(USER, orphan["message_id"])] = orphan
    fake.press(USER, orphan, "restyle:sketch")
    answers = await fake.wait_for(lambda: fake.find("answerCallbackQuery")[1:])
    assert answers[0].params["text"] == messages.TG_ORIGINAL_GONE
    assert answers[0].params["show_alert"] is True


async def test_exhausted_quota_gets_a_clear_reply_and_no_engine_work(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    await toonbot.quota.set_chat_limits(f"tg:{USER}", daily_per_user=1, updated_by="tg:0")
    fake.push_photo(USER, photo_bytes())
    await photos_in(fake, USER)
    drawn, fetched = toonbot.images_drawn, len(fake.find("getFile"))

    second = fake.push_photo(USER, photo_bytes())
    prefix = messages.DAILY_LIMIT_ONE.split("{")[0]
    refusal = await fake.wait_for(
        lambda: [
            c for c in fake.find("sendMessage", chat_id=USER) if c.params["text"].startswith(prefix)
        ]
    )
    assert replies_to(refusal[0]) == second["message_id"]
    assert toonbot.images_drawn == drawn and len(fake.find("getFile")) == fetched
    assert len(fake.find("sendPhoto", ok=None)) == 1


async def test_failed_job_refunds_the_unit_and_says_so(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    toonbot.styles["webtoon"].fail = True
    fake.push_photo(USER, photo_bytes())
    await wait_text(fake, USER, messages.FAILED)
    [status] = fake.find("sendMessage", chat_id=USER)
    [final] = [c for c in fake.find("editMessageText") if c.params["text"] == messages.FAILED]
    assert final.params["message_id"] == status.result["message_id"]
    assert fake.find("sendPhoto", ok=None) == []
    assert await used_today(toonbot) == 0
    assert all("Traceback" not in t and "exploded" not in t for t in fake.texts(USER))


@pytest.mark.parametrize(
    ("data", "name", "mime", "expected", "fetched"),
    [
        (b"%PDF-1.7 a document", "cv.pdf", "application/pdf", messages.TG_NOT_AN_IMAGE, 0),
        (b"just some notes, honest", "notes.txt", "text/plain", messages.TG_NOT_AN_IMAGE, 0),
        (
            b"this is not a photo at all",
            "holiday.jpg",
            "image/jpeg",
            messages.error_message(UnsupportedMedia(MediaProblem.NOT_AN_IMAGE)),
            1,
        ),
    ],
)
async def test_files_that_are_not_pictures_are_refused_and_cost_nothing(
    toonbot: Toonbot, data: bytes, name: str, mime: str, expected: str, fetched: int
) -> None:
    fake = toonbot.fake
    fake.push_document(USER, data, file_name=name, mime_type=mime)
    await wait_text(fake, USER, expected)
    assert len(fake.find("getFile")) == fetched
    assert fake.find("sendPhoto", ok=None) == []
    assert await used_today(toonbot) == 0


async def test_file_over_20_mb_is_refused_before_downloading(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    size = 25 * 1024 * 1024
    fake.push_document(
        USER, photo_bytes(), file_name="huge.jpg", mime_type="image/jpeg", file_size=size
    )
    text = messages.error_message(FileTooLarge(size, 20 * 1024 * 1024))
    assert text == "That file is too big (25.0 MB). The limit is 20 MB."
    await wait_text(fake, USER, text)
    assert fake.find("getFile", ok=None) == [] and fake.downloads == []
    assert await used_today(toonbot) == 0


async def test_video_is_answered_with_a_toon_video_with_sound(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    sent = fake.push_video(USER, make_clip(8, audio=True))

    [video] = await fake.wait_for(lambda: fake.find("sendVideo", chat_id=USER))
    assert read_clip(video.files["video"]) == (8, True, (64, 48))
    assert replies_to(video) == sent["message_id"]
    assert video.params["caption"] == messages.TG_VIDEO_CAPTION.format(style="webtoon")
    [action] = fake.find("sendChatAction", chat_id=USER)
    assert action.params["action"] == "upload_video"
    # Progress was shown in the status message, which is gone once the clip is there.
    [status] = fake.find("sendMessage", chat_id=USER)
    edits = [c.params["text"] for c in fake.find("editMessageText", chat_id=USER)]
    assert messages.TG_VIDEO_PROGRESS.format(percent=0) in edits
    await fake.wait_for(lambda: (USER, status.result["message_id"]) in fake.deleted)
    assert toonbot.styles["webtoon"].images == 8
    assert await used_today(toonbot) == 1


async def test_gif_is_answered_with_an_animation(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    sent = fake.push_animation(USER, make_gif(8))
    [animation] = await fake.wait_for(lambda: fake.find("sendAnimation", chat_id=USER))
    assert read_clip(animation.files["animation"]) == (8, False, (64, 48))
    assert replies_to(animation) == sent["message_id"]
    assert fake.find("sendDocument", ok=None) == []
    assert await used_today(toonbot) == 1


async def test_video_note_is_answered_with_a_video_note(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    sent = fake.push_video_note(USER, make_clip(8, audio=True, w=48, h=48))
    [note] = await fake.wait_for(lambda: fake.find("sendVideoNote", chat_id=USER))
    assert read_clip(note.files["video_note"]) == (8, True, (48, 48))
    assert replies_to(note) == sent["message_id"]
    assert note.params["length"] == 48
    assert await used_today(toonbot) == 1


@pytest.mark.video(max_duration_s=0.2)
async def test_too_long_video_is_refused_and_refunded(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    fake.push_video(USER, make_clip(8, audio=False))
    text = await fake.wait_for(
        lambda: next((t for t in fake.texts(USER) if "at most 0.2 seconds" in t), None)
    )
    assert text.startswith("That video is too long")
    assert fake.find("sendVideo", ok=None) == [] and toonbot.images_drawn == 0
    assert await used_today(toonbot) == 0


async def test_corrupt_video_is_refused_and_refunded(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    fake.push_video(USER, b"\x00\x00\x00\x18ftypmp42" + b"\x13" * 300)
    prefix = messages.UNSUPPORTED.split("{reason}")[0]
    await fake.wait_for(lambda: any(t.startswith(prefix) for t in fake.texts(USER)))
    assert fake.find("sendVideo", ok=None) == [] and toonbot.images_drawn == 0
    assert await used_today(toonbot) == 0


async def test_telegram_error_while_downloading_refunds(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    fake.fail_next("getFile", 500)
    fake.push_photo(USER, photo_bytes())
    await wait_text(fake, USER, messages.TG_DOWNLOAD_FAILED)
    assert fake.find("sendPhoto", ok=None) == []
    assert await used_today(toonbot) == 0


async def test_429_on_send_photo_is_waited_out_and_delivered_once(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    fake.fail_next("sendPhoto", 429, retry_after=1)
    fake.push_photo(USER, photo_bytes())
    await photos_in(fake, USER)
    attempts = fake.find("sendPhoto", ok=None)
    assert [c.error_code for c in attempts] == [429, None]
    assert await used_today(toonbot) == 1


async def test_start_help_quota_and_plain_text(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    styles = ", ".join(STYLES)
    fake.push_text(USER, "/start")
    await wait_text(fake, USER, messages.TG_WELCOME.format(styles=styles))
    fake.push_text(USER, "/help")
    described = "\n".join(
        messages.TG_HELP_STYLE.format(name=name, description=text)
        for name, text in describe_styles().items()
        if name in STYLES
    )
    await wait_text(fake, USER, messages.TG_HELP.format(styles=described, current="webtoon"))
    samples = await fake.wait_for(
        lambda: [
            c
            for c in fake.find("sendPhoto", chat_id=USER)
            if c.params.get("caption") == messages.TG_HELP_SAMPLE
        ]
    )
    assert image_size(samples[0].files["photo"]) == (768, 1152)  # docs/styles_astronaut.jpg
    fake.push_text(USER, "/help")
    resent = await fake.wait_for(
        lambda: [
            c
            for c in fake.find("sendPhoto", chat_id=USER)
            if c.params.get("caption") == messages.TG_HELP_SAMPLE
        ][1:]
    )
    assert resent[0].files == {}  # the second time by file_id, not uploaded again
    fake.push_text(USER, "hello there")
    await wait_text(fake, USER, messages.TG_TEXT_HINT)
    fake.push_text(USER, "/toon")  # not a reply to a photo
    await wait_text(fake, USER, messages.TG_TOON_HOW)

    fake.push_photo(USER, photo_bytes())
    await fake.wait_for(
        lambda: [
            c
            for c in fake.find("sendPhoto", chat_id=USER)
            if c.params.get("caption") != messages.TG_HELP_SAMPLE
        ]
    )
    fake.push_text(USER, "/quota")
    status = await toonbot.quota.status(f"tg:{USER}", f"tg:{USER}")
    # The reset time ticks on, so compare up to it.
    expected = messages.quota_status_message(status).split("Resets in")[0]
    assert expected.startswith("Today: 1 of 20 toons used, 19 left.")
    await fake.wait_for(lambda: [t for t in fake.texts(USER) if t.startswith(expected)])
    # The English menus are the defaults (no language_code); test_i18n checks the Korean ones.
    english = [c for c in fake.find("setMyCommands") if "language_code" not in c.params]
    everyone, admins = (c.params for c in english)
    menu = [{"command": n, "description": d} for n, d in messages.TG_COMMAND_MENU]
    assert everyone["commands"] == menu
    extra = [{"command": n, "description": d} for n, d in messages.TG_ADMIN_COMMAND_MENU]
    assert admins["commands"] == menu + extra
    assert admins["scope"] == {"type": "all_chat_administrators"}


async def test_an_unexpected_error_gets_a_polite_reply(
    toonbot: Toonbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(user: str, chat: str) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(toonbot.quota, "status", broken)
    toonbot.fake.push_text(USER, "/quota")
    await wait_text(toonbot.fake, USER, messages.TG_SERVER_ERROR)
    assert all("fire" not in t for t in toonbot.fake.texts(USER))

"""texture= and color= in Telegram captions, /toon arguments and redraw buttons, end to end."""

from __future__ import annotations

import numpy as np
import pytest

from bot import messages
from bot.telegram.captions import StyleRequest, parse_caption
from bot.telegram.keyboards import CALLBACK_DATA_LIMIT, callback_restyle, restyle_keyboard
from engine.errors import BadStyleOption
from engine.styles.options import StyleOptions
from tests.bot.harness import decode_upload, expected_toon, photo_bytes
from tests.bot.telegram.conftest import Toonbot
from tests.bot.telegram.test_telegram_e2e import buttons, photos_in, used_today, wait_text
from tests.fakes.clips import make_clip

USER = 1001
SOFT_VIVID = StyleOptions(texture=0.2, color=0.9)


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("webtoon texture=0.2", StyleRequest(style="webtoon", options=StyleOptions(texture=0.2))),
        ("texture=0.2 color=0.9", StyleRequest(options=SOFT_VIVID)),
        ("color=90% Texture=0,2", StyleRequest(options=SOFT_VIVID)),
        (
            "/toon sketch color=1",
            StyleRequest(command=True, style="sketch", options=StyleOptions(color=1.0)),
        ),
        (
            "/toon texture=.5 classic",
            StyleRequest(command=True, style="classic", options=StyleOptions(texture=0.5)),
        ),
        # Sentences are captions people wrote for each other: drawn with the defaults.
        ("me and my cat", StyleRequest()),
        ("my score=10 today", StyleRequest()),
        ("a=b in a sentence texture=abc", StyleRequest()),
        ("hello a=b", StyleRequest()),
        ("a=b", StyleRequest(style="a=b")),  # one ordinary word: a style choice, as before
    ],
)
def test_captions_with_options(caption: str, expected: StyleRequest) -> None:
    request = parse_caption(caption, "toon_test_bot")
    assert request == expected
    assert request is not None and request.problem is None


@pytest.mark.parametrize(
    ("caption", "name", "reason"),
    [
        ("texture=abc", "texture", "not a number"),
        ("webtoon texture=5", "texture", "out of range"),
        ("shine=1", "shine", "unknown option"),
        ("/toon sketch color=-10%", "color", "out of range"),
        ("texture=", "texture", "not a number"),
    ],
)
def test_bad_option_words_in_a_request_are_problems(caption: str, name: str, reason: str) -> None:
    request = parse_caption(caption, "toon_test_bot")
    assert request is not None and request.problem is not None
    assert (request.problem.name, request.problem.reason) == (name, reason)
    assert request.options == StyleOptions()


def test_redraw_buttons_carry_the_options_within_telegrams_limit() -> None:
    keyboard = restyle_keyboard(("webtoon", "sketch", "classic"), "webtoon", SOFT_VIVID)
    assert keyboard is not None
    data = [b.callback_data for row in keyboard.inline_keyboard for b in row]
    assert data == ["restyle:sketch:t200c900", "restyle:classic:t200c900"]
    assert callback_restyle("restyle:sketch:t200c900") == ("sketch", SOFT_VIVID)
    assert callback_restyle("restyle:sketch") == ("sketch", StyleOptions())  # posted before
    assert callback_restyle("restyle:sketch:junk") == ("sketch:junk", StyleOptions())
    assert callback_restyle("style:sketch") is None
    with pytest.raises(BadStyleOption):
        callback_restyle("restyle:sketch:t5000")
    # The longest style name a Discord button allows (40) still fits, with both options.
    longest = "x" * 40
    widest = StyleOptions(texture=0.125, color=0.875)
    keyboard = restyle_keyboard((longest, "webtoon"), "webtoon", widest)
    assert keyboard is not None
    [[button]] = keyboard.inline_keyboard
    assert isinstance(button.callback_data, str)
    assert len(button.callback_data.encode()) <= CALLBACK_DATA_LIMIT
    assert restyle_keyboard(("x" * 60, "webtoon"), "webtoon", widest) is None  # never too long


async def test_caption_options_reach_the_engine_and_the_buttons(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    source = photo_bytes()
    fake.push_photo(USER, source, caption="webtoon texture=0.2")

    [photo] = await photos_in(fake, USER)
    [job] = toonbot.jobs
    assert (job.style, job.options) == ("webtoon", StyleOptions(texture=0.2))
    assert toonbot.styles["webtoon"].options_seen == [StyleOptions(texture=0.2)]  # type: ignore[attr-defined]
    assert np.array_equal(decode_upload(photo.files["photo"]), expected_toon(source, "webtoon"))
    assert photo.params["caption"] == (
        messages.TG_RESULT_CAPTION.format(style="webtoon") + "\nOptions: texture 0.2."
    )
    assert [data for _, data in buttons(photo)] == ["restyle:sketch:t200", "restyle:classic:t200"]
    assert await used_today(toonbot) == 1


async def test_options_alone_use_the_usual_style_and_unused_ones_are_noted(
    toonbot: Toonbot,
) -> None:
    fake = toonbot.fake
    fake.push_photo(USER, photo_bytes(), caption="texture=0.2 color=0.9")
    fake.push_photo(USER + 1, photo_bytes(), caption="/toon sketch color=1")
    [vivid] = await photos_in(fake, USER)
    [sketch] = await photos_in(fake, USER + 1)
    assert {(j.style, j.options) for j in toonbot.jobs} == {
        ("webtoon", SOFT_VIVID),
        ("sketch", StyleOptions(color=1.0)),
    }
    assert vivid.params["caption"].endswith("\nOptions: texture 0.2, color 0.9.")
    assert sketch.params["caption"] == (
        messages.TG_RESULT_CAPTION.format(style="sketch") + "\nsketch doesn't use color."
    )


@pytest.mark.parametrize(
    ("caption", "error"),
    [
        ("texture=abc", BadStyleOption("texture", "abc", "not a number")),
        ("webtoon texture=5", BadStyleOption("texture", "5", "out of range")),
        ("shine=1", BadStyleOption("shine", "1", "unknown option")),
    ],
)
async def test_a_bad_option_gets_a_friendly_reply_and_costs_nothing(
    toonbot: Toonbot, caption: str, error: BadStyleOption
) -> None:
    fake = toonbot.fake
    fake.push_photo(USER, photo_bytes(), caption=caption)
    text = messages.error_message(error)
    assert error.name in text and "0 to 1" in text
    await wait_text(fake, USER, text)
    assert fake.find("getFile", ok=None) == []
    assert toonbot.jobs == []
    assert await used_today(toonbot) == 0


async def test_a_sentence_with_option_like_words_is_just_drawn(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    fake.push_photo(USER, photo_bytes(), caption="a=b, and texture=abc is no request")
    await photos_in(fake, USER)
    [job] = toonbot.jobs
    assert (job.style, job.options) == ("webtoon", StyleOptions())


async def test_toon_reply_takes_options_too(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    sent = fake.push_photo(USER, photo_bytes(), caption="/toon classic texture=40%")
    await photos_in(fake, USER)
    fake.push_text(USER, "/toon sketch texture=0.1", reply_to=sent)
    await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=USER)[1:])
    assert [(j.style, j.options) for j in toonbot.jobs] == [
        ("classic", StyleOptions(texture=0.4)),
        ("sketch", StyleOptions(texture=0.1)),
    ]
    fake.push_text(USER, "/toon color=2", reply_to=sent)
    await wait_text(
        fake, USER, messages.error_message(BadStyleOption("color", "2", "out of range"))
    )
    assert len(toonbot.jobs) == 2
    assert await used_today(toonbot) == 2


async def test_redraw_buttons_keep_the_options_also_old_buttons_work(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    source = photo_bytes()
    fake.push_photo(USER, source, caption="webtoon texture=0.2 color=0.9")
    [first] = await photos_in(fake, USER)
    assert dict(buttons(first))[messages.TG_RESTYLE_BUTTON.format(style="classic")] == (
        "restyle:classic:t200c900"
    )

    await toonbot.restart()  # all a press needs is in the button
    fake.press(2002, first.result, "restyle:classic:t200c900")
    [again] = (await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=USER)[1:]))[:1]
    assert [(j.style, j.options) for j in toonbot.jobs] == [
        ("webtoon", SOFT_VIVID),
        ("classic", SOFT_VIVID),
    ]
    assert toonbot.styles["classic"].options_seen == [SOFT_VIVID]  # type: ignore[attr-defined]
    assert np.array_equal(decode_upload(again.files["photo"]), expected_toon(source, "classic"))
    # Its own buttons carry them on: a second redraw keeps them as well.
    assert [data for _, data in buttons(again)] == [
        "restyle:webtoon:t200c900",
        "restyle:sketch:t200c900",
    ]
    assert await used_today(toonbot, 2002, USER) == 1  # charged to whoever pressed

    # A button posted before options existed redraws with the defaults.
    fake.press(USER, first.result, "restyle:sketch")
    await fake.wait_for(lambda: len(toonbot.jobs) == 3)
    assert (toonbot.jobs[2].style, toonbot.jobs[2].options) == ("sketch", StyleOptions())


async def test_a_corrupted_redraw_button_is_refused_and_costs_nothing(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    fake.push_photo(USER, photo_bytes())
    [first] = await photos_in(fake, USER)
    fake.press(USER, first.result, "restyle:classic:t5000")
    [answer] = await fake.wait_for(lambda: fake.find("answerCallbackQuery"))
    error = BadStyleOption("texture", "5.0", "out of range")
    assert answer.params["text"] == messages.error_message(error)
    assert answer.params["show_alert"] is True
    assert len(toonbot.jobs) == 1
    assert await used_today(toonbot) == 1


def test_help_mentions_the_options_with_an_example() -> None:
    assert "texture=0.2 color=0.9" in messages.TG_HELP
    assert "texture=0.2" in messages.TG_TOON_HOW


async def test_every_frame_of_a_clip_carries_the_options(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    video = {**fake.add_file(make_clip(6, audio=False), ext="mp4"), "width": 64, "height": 48}
    fake.push_message(USER, video={**video, "duration": 1}, caption="classic color=0.3")
    [sent] = await fake.wait_for(lambda: fake.find("sendVideo", chat_id=USER))
    assert sent.params["caption"] == (
        messages.TG_VIDEO_CAPTION.format(style="classic") + "\nOptions: color 0.3."
    )
    assert len(toonbot.jobs) == 6
    assert {(j.style, j.options) for j in toonbot.jobs} == {("classic", StyleOptions(color=0.3))}
    assert [data for _, data in buttons(sent)] == ["restyle:webtoon:c300", "restyle:sketch:c300"]


async def test_in_groups_only_toon_captions_are_read_for_options(toonbot: Toonbot) -> None:
    fake, group = toonbot.fake, -1001234
    fake.push_photo(USER, photo_bytes(), chat_id=group, caption="texture=abc")  # not for the bot
    fake.push_photo(USER, photo_bytes(), chat_id=group, caption="/toon texture=abc")
    await wait_text(
        fake, group, messages.error_message(BadStyleOption("texture", "abc", "not a number"))
    )
    fake.push_photo(USER, photo_bytes(), chat_id=group, caption="/toon color=0.5")
    await photos_in(fake, group)
    assert (
        fake.texts(group).count(
            messages.error_message(BadStyleOption("texture", "abc", "not a number"))
        )
        == 1
    )
    assert [(j.style, j.options) for j in toonbot.jobs] == [("webtoon", StyleOptions(color=0.5))]
    assert await used_today(toonbot, USER, group) == 1

"""The Discord bot driven through the fake Discord's gateway and REST API, as users would."""

from __future__ import annotations

import asyncio
import copy
import io

import numpy as np
import pytest
from PIL import Image

from bot import messages
from bot.discord import pipeline
from tests.bot.discord.conftest import Toonbot
from tests.bot.harness import decode_upload, expected_toon, photo_bytes
from tests.fakes.clips import make_clip, make_gif, read_clip
from tests.fakes.discord_objects import JSON, MANAGE_GUILD
from tests.fakes.discord_objects import MEMBER_PERMISSIONS as MEMBER
from tests.fakes.discord_server import FakeDiscord, Interaction
from tests.fakes.discord_users import CHANNEL, GUILD, custom_ids

USER = 1001


async def result_of(fake: FakeDiscord, record: Interaction) -> JSON:
    [message] = await fake.wait_for(lambda: fake.results(record))
    return message


async def test_toon_defers_then_sends_the_picture_with_buttons(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    source = photo_bytes(96, 64)
    record = await fake.toon(USER, fake.upload(source))
    message = await result_of(fake, record)
    toon, original = message["attachments"]
    assert toon["filename"] == "toon_webtoon.png"
    pixels = decode_upload(fake.file(toon))
    assert pixels.shape == (64, 96, 3)
    assert np.abs(pixels.astype(int) - expected_toon(source, "webtoon")).max() <= 1
    assert original["filename"] == "original.jpg"
    assert custom_ids(message) == ["toon:re:sketch", "toon:re:classic", f"toon:del:{USER}"]
    assert record.callbacks[0]["type"] == 5  # deferred first
    assert messages.DC_STATUS_STARTED in fake.ephemeral_texts(record)


async def used_today(bot: Toonbot, user: int = USER) -> int:
    status = await bot.quota.status(f"dc:{user}", f"dc:{GUILD}")
    return status.used_today


async def test_style_option_picks_the_style(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    source = photo_bytes(64, 48)
    record = await fake.toon(USER, fake.upload(source), "sketch")
    message = await result_of(fake, record)
    toon = message["attachments"][0]
    assert toon["filename"] == "toon_sketch.png"
    expected = expected_toon(source, "sketch")
    assert np.abs(decode_upload(fake.file(toon)).astype(int) - expected).max() <= 1
    assert custom_ids(message)[:2] == ["toon:re:webtoon", "toon:re:classic"]
    # The status line was private and is gone once the result is there.
    assert record.callbacks[0]["data"]["flags"] & 64
    await fake.wait_for(lambda: record.deleted_original)
    assert await used_today(toonbot) == 1


async def test_toonify_menu_draws_the_messages_picture(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    source = photo_bytes(80, 60)
    posted = fake.post(
        2002, [fake.upload(b"not a picture", "notes.txt", "text/plain"), fake.upload(source)]
    )
    record = await fake.toonify(USER, posted)
    message = await result_of(fake, record)
    pixels = decode_upload(fake.file(message["attachments"][0]))
    assert np.abs(pixels.astype(int) - expected_toon(source, "webtoon")).max() <= 1


async def test_toonify_on_a_message_without_a_picture_is_answered_privately(
    toonbot: Toonbot,
) -> None:
    fake = toonbot.fake
    record = await fake.toonify(USER, fake.post(2002, []))
    await fake.wait_for(lambda: messages.DC_NO_IMAGE in fake.ephemeral_texts(record))
    assert toonbot.images_drawn == 0


async def test_restyle_button_redraws_the_original_also_after_a_restart(
    toonbot: Toonbot,
) -> None:
    fake = toonbot.fake
    source = photo_bytes(64, 64)
    first = await result_of(fake, await fake.toon(USER, fake.upload(source)))
    click = await fake.click(2002, first, "toon:re:classic")
    second = await result_of(fake, click)
    assert second["attachments"][0]["filename"] == "toon_classic.png"
    # Drawn from the original copy, not from the webtoon result.
    original = decode_upload(fake.file(first["attachments"][1]))
    expected = original[..., [1, 2, 0]]
    pixels = decode_upload(fake.file(second["attachments"][0]))
    assert np.abs(pixels.astype(int) - expected.astype(int)).max() <= 1
    assert custom_ids(second)[-1] == "toon:del:2002"
    assert await used_today(toonbot, 2002) == 1

    await toonbot.restart()
    third = await result_of(fake, await fake.click(USER, second, "toon:re:sketch"))
    assert third["attachments"][0]["filename"] == "toon_sketch.png"
    assert toonbot.styles["sketch"].images == 1


async def test_delete_button_works_for_the_requester_only(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    message = await result_of(fake, await fake.toon(USER, fake.upload(photo_bytes())))
    other = await fake.click(2002, message, f"toon:del:{USER}")
    await fake.wait_for(lambda: messages.DC_DELETE_NOT_YOURS in fake.ephemeral_texts(other))
    assert message["id"] in fake.messages
    await toonbot.restart()  # the button works on messages from before a restart too
    mine = await fake.click(USER, message, f"toon:del:{USER}")
    await fake.wait_for(lambda: message["id"] in fake.deleted)
    assert [c["type"] for c in mine.callbacks] == [6]


async def test_admin_commands_need_manage_guild(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    admin = MEMBER | MANAGE_GUILD
    record = await fake.admin(USER, "set-daily", 3, permissions=admin)
    await fake.wait_for(lambda: fake.ephemeral_texts(record))
    assert fake.ephemeral_texts(record) == [
        messages.DC_LIMIT_SET.format(name="daily_per_user", value=3)
    ]
    assert (await toonbot.quota.chat_limits(f"dc:{GUILD}")).daily_per_user == 3
    hourly = await fake.admin(USER, "set-hourly", 5, permissions=admin)
    await fake.wait_for(lambda: fake.ephemeral_texts(hourly))
    cooldown = await fake.admin(USER, "set-cooldown", 7, permissions=admin)
    await fake.wait_for(lambda: fake.ephemeral_texts(cooldown))
    limits = await fake.admin(USER, "limits", permissions=admin)
    await fake.wait_for(lambda: fake.ephemeral_texts(limits))
    expected = messages.DC_LIMITS.format(daily_per_user=3, per_chat_per_hour=5, cooldown_s=7)
    assert fake.ephemeral_texts(limits) == [expected]

    refused = await fake.admin(2002, "set-daily", 100)
    await fake.wait_for(lambda: messages.DC_ADMIN_ONLY in fake.ephemeral_texts(refused))
    peek = await fake.admin(2002, "limits")
    await fake.wait_for(lambda: messages.DC_ADMIN_ONLY in fake.ephemeral_texts(peek))
    assert (await toonbot.quota.chat_limits(f"dc:{GUILD}")).daily_per_user == 3


async def test_out_of_range_admin_value_is_refused_kindly(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    record = await fake.admin(USER, "set-daily", -4, permissions=MEMBER | MANAGE_GUILD)
    await fake.wait_for(lambda: fake.ephemeral_texts(record))
    [text] = fake.ephemeral_texts(record)
    assert text.startswith("daily_per_user must be between")
    assert (await toonbot.quota.chat_limits(f"dc:{GUILD}")).daily_per_user == 20


async def test_toon_quota_shows_what_is_left(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    await result_of(fake, await fake.toon(USER, fake.upload(photo_bytes())))
    record = await fake.command(USER, "toon-quota")
    await fake.wait_for(lambda: fake.ephemeral_texts(record))
    assert fake.ephemeral_texts(record)[0].startswith("Today: 1 of 20 toons used, 19 left.")


@pytest.mark.quota(daily_per_user=1)
async def test_exhausted_quota_is_a_private_reply_without_engine_work(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    await result_of(fake, await fake.toon(USER, fake.upload(photo_bytes())))
    record = await fake.toon(USER, fake.upload(photo_bytes()))
    await fake.wait_for(lambda: fake.ephemeral_texts(record))
    assert fake.ephemeral_texts(record)[0].startswith("You've used your toon for today.")
    assert fake.results(record) == []
    assert toonbot.images_drawn == 1


async def test_a_file_that_is_not_an_image_is_refused_without_charge(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    record = await fake.toon(USER, fake.upload(b"%PDF-1.7", "cv.pdf", "application/pdf"))
    await fake.wait_for(lambda: messages.DC_NOT_AN_IMAGE in fake.ephemeral_texts(record))
    assert await used_today(toonbot) == 0


async def test_a_video_is_answered_with_a_toon_mp4_with_sound(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    record = await fake.toon(USER, fake.upload(make_clip(8), "clip.mp4", "video/mp4"))
    message = await result_of(fake, record)
    [clip] = message["attachments"]
    assert clip["filename"] == "toon_webtoon.mp4"
    assert read_clip(fake.file(clip)) == (8, True, (64, 48))
    assert message["content"] == messages.DC_VIDEO_RESULT.format(
        mention=f"<@{USER}>", style="webtoon"
    )
    assert messages.DC_VIDEO_PROGRESS.format(percent=0) in fake.ephemeral_texts(record)
    assert await used_today(toonbot) == 1


async def test_a_gif_is_answered_with_a_toon_gif(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    record = await fake.toon(USER, fake.upload(make_gif(8), "cat.gif", "image/gif"))
    message = await result_of(fake, record)
    [clip] = message["attachments"]
    assert clip["filename"] == "toon_webtoon.gif"
    assert fake.file(clip).startswith(b"GIF8")
    assert read_clip(fake.file(clip)) == (8, False, (64, 48))
    assert await used_today(toonbot) == 1


async def test_a_clip_over_the_upload_limit_is_explained_and_refunded(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    upload = fake.upload(make_clip(8), "clip.mp4", "video/mp4")
    record = await fake.toon(USER, upload, size_limit=1024)
    prefix = messages.DC_VIDEO_RESULT_TOO_BIG.split("(")[0]
    await fake.wait_for(lambda: any(t.startswith(prefix) for t in fake.ephemeral_texts(record)))
    assert fake.results(record) == []
    assert await used_today(toonbot) == 0


async def test_a_clip_over_the_upload_limit_is_reencoded_to_fit(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    # Random pixels barely compress: the drawn clip comes out well over the limit.
    rng = np.random.default_rng(3)
    noise = [rng.integers(0, 256, (120, 160, 3), dtype=np.uint8) for _ in range(10)]
    source = make_clip(10, w=160, h=120, frames=noise)
    limit = 50_000
    assert len(source) > 2 * limit
    upload = fake.upload(source, "clip.mp4", "video/mp4")
    record = await fake.toon(USER, upload, size_limit=limit)
    message = await result_of(fake, record)
    [clip] = message["attachments"]
    assert clip["size"] <= limit
    assert read_clip(fake.file(clip)) == (10, True, (160, 120))
    assert await used_today(toonbot) == 1


async def held_clip_status(toonbot: Toonbot, record: Interaction) -> tuple[JSON, str]:
    """Once the clip's frames fill the model and the queue: its status line and Cancel id."""
    fake, engine = toonbot.fake, toonbot.engine
    await fake.wait_for(lambda: toonbot.images_drawn >= 1 and engine.queue_depth > 0)
    await fake.wait_for(lambda: record.original and custom_ids(fake.messages[record.original]))
    status = copy.deepcopy(fake.messages[str(record.original)])  # as the user's client shows it
    [cancel] = custom_ids(status)
    assert cancel.startswith("toon:cancel:")
    return status, cancel


async def test_the_cancel_button_stops_a_clip_for_its_requester_only_and_refunds(
    toonbot: Toonbot,
) -> None:
    fake, webtoon = toonbot.fake, toonbot.styles["webtoon"]
    webtoon.hold()  # the clip's first batch sits in the model, the next frames wait in the queue
    record = await fake.toon(USER, fake.upload(make_clip(24), "clip.mp4", "video/mp4"))
    status, cancel = await held_clip_status(toonbot, record)
    assert fake.ephemeral_texts(record)[0] == messages.DC_STATUS_STARTED_CLIP

    other = await fake.click(2002, status, cancel)
    await fake.wait_for(lambda: messages.CANCEL_NOT_YOURS in fake.ephemeral_texts(other))
    assert await used_today(toonbot) == 1

    mine = await fake.click(USER, status, cancel)
    await fake.wait_for(lambda: messages.CLIP_CANCELLED in fake.ephemeral_texts(record))
    assert [c["type"] for c in mine.callbacks] == [6]
    assert fake.messages[str(record.original)]["components"] == []
    assert await used_today(toonbot) == 0
    assert toonbot.engine.queue_depth == 0  # the clip's waiting frames were dropped
    webtoon.allow(100)
    late = await fake.click(USER, status, cancel)
    await fake.wait_for(lambda: messages.CANCEL_GONE in fake.ephemeral_texts(late))
    assert fake.results(record) == []
    # No temp files are left: the fixture checks the scratch folder at teardown.


async def test_deleting_the_toonified_message_cancels_its_clip(toonbot: Toonbot) -> None:
    fake, webtoon = toonbot.fake, toonbot.styles["webtoon"]
    webtoon.hold()
    source = fake.post(USER, [fake.upload(make_clip(24), "clip.mp4", "video/mp4")])
    record = await fake.toonify(USER, source)
    await held_clip_status(toonbot, record)
    await fake.delete(source)
    await fake.wait_for(lambda: messages.CLIP_CANCELLED in fake.ephemeral_texts(record))
    assert await used_today(toonbot) == 0
    assert toonbot.engine.queue_depth == 0
    webtoon.allow(100)
    assert fake.results(record) == []


async def test_a_corrupt_video_is_explained_and_refunded(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    record = await fake.toon(USER, fake.upload(b"GIF89a" + bytes(64), "clip.webm", ""))
    prefix = messages.UNSUPPORTED.split("{reason}")[0]
    await fake.wait_for(lambda: any(t.startswith(prefix) for t in fake.ephemeral_texts(record)))
    assert fake.results(record) == []
    assert await used_today(toonbot) == 0
    assert toonbot.images_drawn == 0


async def test_a_disguised_file_is_explained_and_refunded(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    record = await fake.toon(USER, fake.upload(b"GIF89a" + bytes(200), "cat.png", "image/png"))
    await fake.wait_for(
        lambda: any(t.startswith("I can't read that file") for t in fake.ephemeral_texts(record))
    )
    assert fake.results(record) == []
    assert await used_today(toonbot) == 0
    assert toonbot.images_drawn == 0


async def test_a_failing_style_is_explained_and_refunded(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    toonbot.styles["webtoon"].fail = True
    record = await fake.toon(USER, fake.upload(photo_bytes()))
    await fake.wait_for(lambda: messages.FAILED in fake.ephemeral_texts(record))
    assert fake.results(record) == []
    assert await used_today(toonbot) == 0
    assert not any("Traceback" in text for text in fake.texts(record))


async def test_a_result_over_the_upload_limit_is_shrunk_to_fit(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    noise = np.random.default_rng(1).integers(0, 256, (400, 600, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noise).save(buf, format="PNG")
    limit = 120_000
    record = await fake.toon(
        USER, fake.upload(buf.getvalue(), "noise.png", "image/png"), size_limit=limit
    )
    message = await result_of(fake, record)
    toon, original = message["attachments"]
    assert toon["filename"] == "toon_webtoon.jpg"
    assert toon["size"] + original["size"] <= limit
    assert decode_upload(fake.file(toon)).shape[2] == 3


async def test_a_rate_limited_followup_is_retried(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    fake.fail_next("POST", "webhooks/", 429, retry_after=0.05)
    record = await fake.toon(USER, fake.upload(photo_bytes()))
    await result_of(fake, record)
    assert [
        c.status for c in fake.calls_for(record) if c.method == "POST" and "callback" not in c.path
    ] == [429, 200]


async def test_a_job_outliving_the_token_posts_in_the_channel(
    toonbot: Toonbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = toonbot.fake
    monkeypatch.setattr(pipeline, "TOKEN_MARGIN_S", -1)
    await fake.toon(USER, fake.upload(photo_bytes()))
    [post] = await fake.wait_for(
        lambda: [c for c in fake.calls if c.path == f"channels/{CHANNEL}/messages"]
    )
    assert post.body["content"].startswith(f"<@{USER}>")
    assert len(post.files) == 2


@pytest.mark.quota(daily_per_user=1)
async def test_fifty_concurrent_users_twice_each_get_exactly_one_picture(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    source = fake.upload(photo_bytes(48, 32))
    users = range(5000, 5050)
    records = await asyncio.gather(*(fake.toon(u, source) for u in users for _ in range(2)))
    refusal = messages.DAILY_LIMIT_ONE.split("{")[0]

    def refused(record: Interaction) -> bool:
        return any(text.startswith(refusal) for text in fake.ephemeral_texts(record))

    await fake.wait_for(lambda: all(fake.results(r) or refused(r) for r in records), timeout=45)
    delivered = [r for r in records if fake.results(r)]
    refusals = [r for r in records if refused(r)]
    assert len(delivered) == 50 and len(refusals) == 50
    assert sorted(int(r.payload["member"]["user"]["id"]) for r in delivered) == list(users)
    assert toonbot.images_drawn == 50
    # Every interaction was deferred, and every status line but the refusals was cleaned up.
    assert all(r.callbacks[0]["type"] == 5 for r in records)
    await fake.wait_for(lambda: all(r.deleted_original for r in delivered))


@pytest.mark.engine(queue_size=1)
async def test_queue_position_is_shown_and_a_full_queue_is_refused_politely(
    toonbot: Toonbot,
) -> None:
    fake, webtoon = toonbot.fake, toonbot.styles["webtoon"]
    webtoon.hold()  # the first picture sits in the model, so the second waits in the queue
    first = await fake.toon(USER, fake.upload(photo_bytes()))
    await fake.wait_for(lambda: webtoon.images == 1)
    await fake.wait_for(lambda: messages.DC_STATUS_DRAWING in fake.ephemeral_texts(first))
    second = await fake.toon(2002, fake.upload(photo_bytes()))
    queued = messages.DC_STATUS_QUEUED.format(position=1)
    await fake.wait_for(lambda: queued in fake.ephemeral_texts(second))
    third = await fake.toon(3003, fake.upload(photo_bytes()))
    await fake.wait_for(lambda: messages.BUSY in fake.ephemeral_texts(third))
    assert await used_today(toonbot, 3003) == 0
    webtoon.allow(2)
    await result_of(fake, first)
    await result_of(fake, second)


async def test_direct_messages_count_against_the_dm_channel(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    record = await fake.toon(USER, fake.upload(photo_bytes()), guild=None, channel=4242)
    await result_of(fake, record)
    status = await toonbot.quota.status(f"dc:{USER}", "dc:dm:4242")
    assert status.used_today == 1
    assert await used_today(toonbot) == 0
    refused = await fake.admin(USER, "limits", guild=None, channel=4242)
    await fake.wait_for(lambda: messages.DC_ADMIN_ONLY in fake.ephemeral_texts(refused))

"""The Telegram bot in groups (admin commands, /toon) and under load, through the fake Bot API."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from bot import messages
from bot.config import QUOTA_LIMIT_RANGES
from bot.telegram.admin import LIMIT_NAMES
from tests.bot.harness import decode_upload, expected_toon, photo_bytes
from tests.bot.telegram.conftest import Toonbot
from tests.fakes.telegram_server import BOT_USERNAME, FakeTelegram

GROUP = -1001234
ADMIN, OWNER, MEMBER = 7, 8, 9


async def wait_text(fake: FakeTelegram, chat: int, text: str) -> None:
    await fake.wait_for(lambda: text in fake.texts(chat))


async def test_only_admins_may_change_limits_and_the_change_takes_effect(
    toonbot: Toonbot,
) -> None:
    fake, chat = toonbot.fake, f"tg:{GROUP}"
    fake.set_member(GROUP, ADMIN, "administrator")
    fake.set_member(GROUP, OWNER, "creator")

    fake.push_text(MEMBER, "/setlimit daily_per_user 1", chat_id=GROUP)
    await wait_text(fake, GROUP, messages.TG_ADMIN_ONLY)
    assert "daily_per_user" not in (await toonbot.quota.chat_limits(chat)).overridden
    [asked] = fake.find("getChatMember")
    assert asked.params == {"chat_id": GROUP, "user_id": MEMBER}

    fake.push_text(ADMIN, f"/setlimit@{BOT_USERNAME} daily_per_user 1", chat_id=GROUP)
    await wait_text(fake, GROUP, messages.TG_LIMIT_SET.format(name="daily_per_user", value=1))
    assert (await toonbot.quota.chat_limits(chat)).daily_per_user == 1

    fake.push_text(OWNER, "/setlimit cooldown_s 99999", chat_id=GROUP)
    low, high = QUOTA_LIMIT_RANGES["cooldown_s"]
    too_much = messages.LIMIT_OUT_OF_RANGE.format(
        name="cooldown_s", low=low, high=high, value=99999
    )
    await wait_text(fake, GROUP, too_much)
    fake.push_text(OWNER, "/setlimit sometimes 3", chat_id=GROUP)
    await wait_text(fake, GROUP, messages.TG_SETLIMIT_USAGE.format(names=", ".join(LIMIT_NAMES)))

    fake.push_text(OWNER, "/limits", chat_id=GROUP)
    limits = messages.TG_LIMITS.format(daily_per_user=1, per_chat_per_hour=0, cooldown_s=0)
    await wait_text(fake, GROUP, limits)

    # The new limit holds for the next photos in the group.
    fake.push_photo(MEMBER, photo_bytes(), chat_id=GROUP, caption="/toon")
    await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=GROUP))
    fake.push_photo(MEMBER, photo_bytes(), chat_id=GROUP, caption="/toon")
    prefix = messages.DAILY_LIMIT_ONE.split("{")[0]
    await fake.wait_for(lambda: [t for t in fake.texts(GROUP) if t.startswith(prefix)])
    assert len(fake.find("sendPhoto", ok=None)) == 1


async def test_admin_commands_in_a_private_chat_explain_they_are_for_groups(
    toonbot: Toonbot,
) -> None:
    fake = toonbot.fake
    fake.push_text(MEMBER, "/setlimit daily_per_user 3")
    fake.push_text(MEMBER, "/limits")
    await fake.wait_for(lambda: fake.texts(MEMBER).count(messages.TG_GROUPS_ONLY) == 2)
    assert fake.find("getChatMember", ok=None) == []


async def test_admin_check_failure_is_explained(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    fake.fail_next("getChatMember", 500)
    fake.push_text(ADMIN, "/limits", chat_id=GROUP)
    await wait_text(fake, GROUP, messages.TG_ADMIN_CHECK_FAILED)
    assert messages.TG_LIMITS.split("{")[0] not in "".join(fake.texts(GROUP))


async def test_group_photos_are_drawn_only_when_asked_for(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    source = photo_bytes()
    fake.push_photo(MEMBER, source, chat_id=GROUP)  # just sharing a photo with friends
    fake.push_video(MEMBER, chat_id=GROUP)
    asked = fake.push_photo(MEMBER, source, chat_id=GROUP, caption="/toon sketch")
    [photo] = await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=GROUP))
    assert np.array_equal(decode_upload(photo.files["photo"]), expected_toon(source, "sketch"))
    assert photo.params["reply_parameters"]["message_id"] == asked["message_id"]

    # /toon in reply to someone's photo draws that photo, charged to whoever asked.
    shared = fake.push_photo(MEMBER, source, chat_id=GROUP)
    fake.push_text(ADMIN, "/toon classic", chat_id=GROUP, reply_to=shared)
    photos = await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=GROUP)[1:])
    assert np.array_equal(decode_upload(photos[0].files["photo"]), expected_toon(source, "classic"))
    assert photos[0].params["reply_parameters"]["message_id"] == shared["message_id"]
    assert len(fake.find("getFile")) == 2  # the uncaptioned photo and the video were ignored
    status = await toonbot.quota.status(f"tg:{ADMIN}", f"tg:{GROUP}")
    assert status.used_today == 1


@pytest.mark.quota(daily_per_user=1)
async def test_fifty_users_at_once_each_get_exactly_their_one_photo(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    users = range(5000, 5050)
    source = photo_bytes(64, 48)
    for user in users:
        fake.push_photo(user, source)
        fake.push_photo(user, source)
    prefix = messages.DAILY_LIMIT_ONE.split("{")[0]

    def refusals() -> list[int]:
        return [
            c.params["chat_id"]
            for c in fake.find("sendMessage")
            if c.params["text"].startswith(prefix)
        ]

    await fake.wait_for(
        lambda: len(fake.find("sendPhoto")) == 50 and len(refusals()) == 50, timeout=40
    )
    await asyncio.sleep(0)  # let any straggler (there must be none) record itself
    assert sorted(c.params["chat_id"] for c in fake.find("sendPhoto", ok=None)) == list(users)
    assert sorted(refusals()) == list(users)
    assert toonbot.images_drawn == 50
    for user in (users[0], users[-1]):
        status = await toonbot.quota.status(f"tg:{user}", f"tg:{user}")
        assert status.used_today == 1

"""/toon-privacy and /toon-forget end to end through the fake Discord: private answers, the
purge pace from config, the user's style deleted but the server's default and today's count
kept (a user at the limit stays there), a user the bot never saw, and a lost database."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import messages
from tests.bot.discord.conftest import Toonbot, make_frontend
from tests.bot.harness import photo_bytes
from tests.fakes.discord_objects import JSON, MANAGE_GUILD
from tests.fakes.discord_objects import MEMBER_PERMISSIONS as MEMBER
from tests.fakes.discord_server import FakeDiscord, Interaction
from tests.fakes.discord_users import GUILD

USER = 1001
STRANGER = 4242


async def answer(fake: FakeDiscord, record: Interaction) -> str:
    """The one private answer to `record`."""
    [text] = await fake.wait_for(lambda: fake.ephemeral_texts(record))
    return text


async def test_toon_privacy_answers_privately_with_the_configured_purge_pace(
    toonbot: Toonbot,
) -> None:
    fake = toonbot.fake
    text = await answer(fake, await fake.command(USER, "toon-privacy"))
    assert text == messages.DC_PRIVACY.format(purge="1 h", cooldown_max="24 h")
    assert len(text) <= 2000  # Discord's message limit
    assert "never stored" in text and "/toon-forget" in text
    await toonbot.frontend.stop()
    toonbot.frontend = make_frontend(fake, toonbot.engine, toonbot.quota, purge_interval_s=600)
    await toonbot.frontend.start()
    text = await answer(fake, await fake.command(USER, "toon-privacy"))
    assert "I clean up every 10 min" in text


async def test_toon_help_asks_for_consent_and_points_at_privacy(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    text = await answer(fake, await fake.command(USER, "toon-help"))
    assert "please ask people before you send me their photo" in text
    assert "/toon-privacy \u2014 what I keep about you; /toon-forget \u2014 delete it" in text


@pytest.mark.quota(daily_per_user=1)
async def test_toon_forget_keeps_the_server_default_and_the_limit(toonbot: Toonbot) -> None:
    fake, quota, key = toonbot.fake, toonbot.quota, f"dc:{USER}"
    record = await fake.toon(USER, fake.upload(photo_bytes()))
    await fake.wait_for(lambda: fake.results(record))
    style: list[JSON] = [{"name": "style", "type": 3, "value": "sketch"}]
    await answer(fake, await fake.command(USER, "toon-style", style))
    set_style: list[JSON] = [
        {
            "name": "set-style",
            "type": 1,
            "options": [{"name": "style", "type": 3, "value": "classic"}],
        }
    ]
    admin = MEMBER | MANAGE_GUILD
    await answer(fake, await fake.command(USER, "toon-admin", set_style, permissions=admin))
    await answer(fake, await fake.admin(USER, "set-daily", 1, permissions=admin))

    forget = await fake.command(USER, "toon-forget")
    text = await answer(fake, forget)
    assert forget.callbacks[0]["data"]["flags"] & 64  # only the user sees it
    assert text.startswith(
        f"{messages.FORGET_DELETED}\n{messages.FORGET_DELETED_STYLE}\n"
        f"{messages.FORGET_DELETED_ADMIN}\nKept until they expire in "
    )
    assert await quota.get_style(key) is None
    assert await quota.get_style(f"dc:server:{GUILD}") == "classic"  # the server's, kept
    limits = await quota.chat_limits(f"dc:{GUILD}")
    assert limits.daily_per_user == 1 and limits.updated_by != key

    drawn = toonbot.images_drawn
    refused = await fake.toon(USER, fake.upload(photo_bytes()))
    assert (await answer(fake, refused)).startswith("You've used your toon for today.")
    assert toonbot.images_drawn == drawn and fake.results(refused) == []

    again = await answer(fake, await fake.command(USER, "toon-forget"))
    assert again.startswith(messages.FORGET_NOTHING_DELETED + "\nKept until they expire in ")


async def test_toon_forget_for_a_user_the_bot_never_saw(toonbot: Toonbot) -> None:
    text = await answer(toonbot.fake, await toonbot.fake.command(STRANGER, "toon-forget"))
    assert text == "There was nothing of yours left to delete.\nNothing else about you is stored."


async def test_toon_forget_with_the_database_gone_says_so(toonbot: Toonbot, tmp_path: Path) -> None:
    (tmp_path / "quota.sqlite3").unlink()
    text = await answer(toonbot.fake, await toonbot.fake.command(USER, "toon-forget"))
    assert text == messages.FORGET_UNAVAILABLE

"""/privacy and /forget end to end through the fake Bot API: the privacy text with the purge
pace from config, /forget deleting the style but keeping today's count (a user at the limit
stays there), a user the bot never saw, and a lost database."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import messages
from bot.telegram import TelegramFrontend
from tests.bot.harness import frontend_kwargs, photo_bytes
from tests.bot.telegram.conftest import Toonbot
from tests.fakes.telegram_server import FakeTelegram

USER = 1001
STRANGER = 4242


async def answer_to(fake: FakeTelegram, chat: int, command: str) -> str:
    """Send `command` in `chat` and wait for the bot's next text there."""
    before = len(fake.texts(chat))
    fake.push_text(chat, command)
    texts = await fake.wait_for(lambda: fake.texts(chat)[before:])
    return texts[0]


async def test_privacy_says_what_is_kept_with_the_configured_purge_pace(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    text = await answer_to(fake, USER, "/privacy")
    assert text == messages.TG_PRIVACY.format(purge="1 h", cooldown_max="24 h")
    assert "never stored" in text and "/forget" in text
    # A bot configured to purge every 10 minutes says so.
    await toonbot.frontend.stop()
    toonbot.frontend = TelegramFrontend(
        **frontend_kwargs(fake.token, toonbot.engine, toonbot.quota, None),
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        poll_timeout_s=5,
        purge_interval_s=600,
    )
    await toonbot.frontend.start()
    text = await answer_to(fake, USER, "/privacy")
    assert text == messages.TG_PRIVACY.format(purge="10 min", cooldown_max="24 h")
    assert "I clean up every 10 min" in text
    assert toonbot.images_drawn == 0


async def test_help_asks_for_consent_and_the_menu_lists_the_privacy_commands(
    toonbot: Toonbot,
) -> None:
    fake = toonbot.fake
    help_text = await answer_to(fake, USER, "/help")
    assert "please ask people before you send me their picture" in help_text
    assert "/privacy \u2014 what I keep about you; /forget \u2014 delete it" in help_text
    everyone = fake.find("setMyCommands")[0].params["commands"]
    names = [entry["command"] for entry in everyone]
    assert names[-2:] == ["privacy", "forget"]


@pytest.mark.quota(daily_per_user=1)
async def test_forget_deletes_the_style_but_a_user_at_the_limit_stays_there(
    toonbot: Toonbot,
) -> None:
    fake, quota, key = toonbot.fake, toonbot.quota, f"tg:{USER}"
    fake.push_photo(USER, photo_bytes())
    await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=USER))
    await answer_to(fake, USER, "/style sketch")
    assert await quota.get_style(key) == "sketch"

    text = await answer_to(fake, USER, "/forget")
    deleted = f"{messages.FORGET_DELETED}\n{messages.FORGET_DELETED_STYLE}\n"
    assert text.startswith(deleted + "Kept until they expire in ")
    assert text.endswith("They are deleted at the next clean-up after that (every 1 h).")
    assert await quota.get_style(key) is None
    status = await quota.status(key, key)
    assert (status.used_today, status.remaining_today) == (1, 0)

    # Still at the limit: the next photo is refused and not drawn.
    drawn = toonbot.images_drawn
    shown = await answer_to(fake, USER, "/quota")
    assert shown.startswith("Today: 1 of 1 toons used, 0 left.")
    fake.push_photo(USER, photo_bytes())
    await fake.wait_for(
        lambda: [t for t in fake.texts(USER) if t.startswith("You've used your toon for today.")]
    )
    assert toonbot.images_drawn == drawn

    # Idempotent: nothing more to delete, today's count still kept.
    again = await answer_to(fake, USER, "/forget")
    assert again.startswith(messages.FORGET_NOTHING_DELETED + "\nKept until they expire in ")


async def test_forget_for_a_user_the_bot_never_saw(toonbot: Toonbot) -> None:
    text = await answer_to(toonbot.fake, STRANGER, "/forget")
    assert text == f"{messages.FORGET_NOTHING_DELETED}\n{messages.FORGET_NOTHING_KEPT}"
    assert text == "There was nothing of yours left to delete.\nNothing else about you is stored."


async def test_forget_with_the_database_gone_deletes_nothing_and_says_so(
    toonbot: Toonbot, tmp_path: Path
) -> None:
    await toonbot.quota.set_style(f"tg:{USER}", "sketch")
    (tmp_path / "quota.sqlite3").unlink()
    text = await answer_to(toonbot.fake, USER, "/forget")
    assert text == messages.FORGET_UNAVAILABLE
    assert text.startswith("I can't reach my records right now")

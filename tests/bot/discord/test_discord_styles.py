"""Discord parity with Telegram: /toon-help with a sample, /toon-style, and a server's default
style that its managers set with /toon-admin set-style; driven through the fake Discord."""

from __future__ import annotations

import io

from PIL import Image

from bot import messages
from tests.bot.charges import charges_closed
from tests.bot.discord.conftest import Toonbot
from tests.bot.discord.test_discord_e2e import result_of, used_today
from tests.bot.harness import photo_bytes
from tests.fakes.discord_objects import JSON, MANAGE_GUILD
from tests.fakes.discord_objects import MEMBER_PERMISSIONS as MEMBER
from tests.fakes.discord_server import FakeDiscord, Interaction
from tests.fakes.discord_users import GUILD

USER = 1001
OTHER = 2002
ADMIN = MEMBER | MANAGE_GUILD


async def answer(fake: FakeDiscord, record: Interaction) -> str:
    [text] = await fake.wait_for(lambda: fake.ephemeral_texts(record))
    return text


async def pick(fake: FakeDiscord, user: int, style: str, **where: object) -> Interaction:
    option = [{"name": "style", "type": 3, "value": style}]
    return await fake.command(user, "toon-style", option, **where)


async def server_default(
    fake: FakeDiscord, user: int, style: str, permissions: int = ADMIN
) -> Interaction:
    options: list[JSON] = [
        {"name": "set-style", "type": 1, "options": [{"name": "style", "type": 3, "value": style}]}
    ]
    return await fake.command(user, "toon-admin", options, permissions=permissions)


async def drawn_style(fake: FakeDiscord, user: int, **where: object) -> str:
    """The style a /toon without a style option is drawn in, for `user`."""
    message = await result_of(fake, await fake.toon(user, fake.upload(photo_bytes()), **where))
    filename: str = message["attachments"][0]["filename"]
    return filename.removeprefix("toon_").removesuffix(".png")


async def test_toon_help_answers_privately_with_the_styles_and_a_sample(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    record = await fake.command(USER, "toon-help")
    text = await answer(fake, record)
    assert text.startswith("How to use me:")
    assert "Styles (yours is webtoon):" in text
    for name in ("webtoon", "sketch", "classic"):
        assert f"\u2022 {name}:" in text
    [callback] = record.callbacks
    assert callback["type"] == 4 and callback["data"]["flags"] & 64  # only the user sees it
    assert text.endswith(messages.DC_HELP_SAMPLE)
    [sample] = fake.messages[record.original]["attachments"]
    with Image.open(io.BytesIO(fake.file(sample))) as image:
        assert image.size == (768, 1152)  # docs/styles_astronaut.jpg
    assert toonbot.images_drawn == 0 and await toonbot.quota.open_charges() == 0


async def test_toon_style_is_remembered_for_toon_and_help(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    assert await answer(fake, await pick(fake, USER, "sketch")) == messages.DC_STYLE_SET.format(
        style="sketch"
    )
    assert await toonbot.quota.get_style(f"dc:{USER}") == "sketch"
    assert await drawn_style(fake, USER) == "sketch"
    assert await drawn_style(fake, OTHER) == "webtoon"  # one user's choice is theirs alone
    help_text = await answer(fake, await fake.command(USER, "toon-help"))
    assert "Styles (yours is sketch):" in help_text
    # The Toonify menu draws in the remembered style too.
    posted = fake.post(OTHER, [fake.upload(photo_bytes())])
    menu = await result_of(fake, await fake.toonify(USER, posted))
    assert menu["attachments"][0]["filename"] == "toon_sketch.png"


async def test_a_remembered_style_that_is_gone_falls_back_to_the_default(
    toonbot: Toonbot,
) -> None:
    fake = toonbot.fake
    await toonbot.quota.set_style(f"dc:{USER}", "retired")  # a style this bot no longer has
    assert await drawn_style(fake, USER) == "webtoon"
    await charges_closed(toonbot.quota)  # delivered and settled, not failed
    assert await used_today(toonbot) == 1


async def test_server_managers_set_the_servers_default_style(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    refused = await server_default(fake, OTHER, "classic", permissions=MEMBER)
    assert await answer(fake, refused) == messages.DC_ADMIN_ONLY
    assert await toonbot.quota.get_style(f"dc:server:{GUILD}") is None

    done = await server_default(fake, USER, "classic")
    assert await answer(fake, done) == messages.DC_SERVER_STYLE_SET.format(style="classic")
    assert await drawn_style(fake, OTHER) == "classic"
    # A user's own choice beats the server's default; outside the server the bot's applies.
    await answer(fake, await pick(fake, USER, "sketch"))
    assert await drawn_style(fake, USER) == "sketch"
    assert await drawn_style(fake, OTHER, guild=None, channel=4242) == "webtoon"
    # A named style still wins over both.
    named = await result_of(fake, await fake.toon(OTHER, fake.upload(photo_bytes()), "sketch"))
    assert named["attachments"][0]["filename"] == "toon_sketch.png"
    # Nothing of this touched anyone's quota but the drawings.
    status = await toonbot.quota.status(f"dc:{OTHER}", f"dc:{GUILD}")
    assert status.used_today == 2


async def test_set_style_is_for_servers_only(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    options: list[JSON] = [
        {
            "name": "set-style",
            "type": 1,
            "options": [{"name": "style", "type": 3, "value": "sketch"}],
        }
    ]
    record = await fake.command(USER, "toon-admin", options, guild=None, channel=4242)
    assert await answer(fake, record) == messages.DC_ADMIN_ONLY

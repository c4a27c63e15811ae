"""/toon's texture and color options and redraw buttons that keep them, through the fake Discord."""

from __future__ import annotations

import copy

import numpy as np
from discord import AppCommandOptionType, app_commands

from bot import messages
from bot.discord.commands import build_commands
from engine.errors import BadStyleOption
from engine.styles.options import StyleOptions
from tests.bot.discord.conftest import Toonbot
from tests.bot.discord.test_discord_e2e import result_of, used_today
from tests.bot.harness import decode_upload, photo_bytes
from tests.fakes.discord_objects import JSON
from tests.fakes.discord_server import FakeDiscord, Interaction
from tests.fakes.discord_users import custom_ids

USER = 1001
SOFT_VIVID = StyleOptions(texture=0.2, color=0.9)


async def toon(
    fake: FakeDiscord, source: bytes, style: str | None = None, **numbers: float
) -> Interaction:
    """/toon image:<source> [style:<style>] [texture:<x>] [color:<x>]."""
    attachment = fake.upload(source)
    options: list[JSON] = [{"name": "image", "type": 11, "value": attachment["id"]}]
    if style is not None:
        options.append({"name": "style", "type": 3, "value": style})
    options += [{"name": name, "type": 10, "value": value} for name, value in numbers.items()]
    resolved = {"attachments": {attachment["id"]: attachment}}
    return await fake.command(USER, "toon", options, resolved=resolved)


def with_buttons(message: JSON, *ids: str) -> JSON:
    """`message` as if it had been posted with buttons of these custom_ids (older or broken)."""
    posted = copy.deepcopy(message)
    posted["components"] = [
        {
            "type": 1,
            "components": [{"type": 2, "style": 2, "label": i, "custom_id": i} for i in ids],
        }
    ]
    return posted


def test_toon_offers_texture_and_color_from_0_to_1() -> None:
    command = build_commands(("webtoon", "sketch"))[0]
    assert isinstance(command, app_commands.Command)
    params = {p.name: p for p in command.parameters}
    for name in ("texture", "color"):
        param = params[name]
        assert param.type is AppCommandOptionType.number
        assert (param.min_value, param.max_value, param.required) == (0.0, 1.0, False)
        assert "0" in param.description and "1" in param.description


async def test_toon_options_reach_the_engine_and_the_buttons(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    message = await result_of(fake, await toon(fake, photo_bytes(), texture=0.2, color=0.9))
    [job] = toonbot.jobs
    assert (job.style, job.options) == ("webtoon", SOFT_VIVID)
    assert toonbot.styles["webtoon"].options_seen == [SOFT_VIVID]  # type: ignore[attr-defined]
    assert message["content"] == (
        messages.DC_RESULT.format(mention=f"<@{USER}>", style="webtoon")
        + "\nOptions: texture 0.2, color 0.9."
    )
    assert custom_ids(message) == [
        "toon:re:sketch:t200c900",
        "toon:re:classic:t200c900",
        f"toon:del:{USER}",
    ]


async def test_options_a_style_ignores_are_noted(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    message = await result_of(fake, await toon(fake, photo_bytes(), "sketch", texture=0.5))
    assert (toonbot.jobs[0].style, toonbot.jobs[0].options) == ("sketch", StyleOptions(0.5))
    assert message["content"].endswith("\nsketch doesn't use texture.")
    assert custom_ids(message)[:2] == ["toon:re:webtoon:t500", "toon:re:classic:t500"]


async def test_an_out_of_range_option_is_refused_privately_and_costs_nothing(
    toonbot: Toonbot,
) -> None:
    fake = toonbot.fake
    # Discord's client enforces 0..1; a request that bypasses it is still refused.
    record = await toon(fake, photo_bytes(), color=5.0)
    text = messages.error_message(BadStyleOption("color", "5.0", "out of range"))
    await fake.wait_for(lambda: text in fake.ephemeral_texts(record))
    assert toonbot.jobs == [] and toonbot.images_drawn == 0
    assert await used_today(toonbot) == 0


async def test_toonify_keeps_the_defaults(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    message = await result_of(
        fake, await fake.toonify(USER, fake.post(2002, [fake.upload(photo_bytes())]))
    )
    assert toonbot.jobs[0].options == StyleOptions()
    assert custom_ids(message)[:2] == ["toon:re:sketch", "toon:re:classic"]
    assert "Options" not in message["content"]


async def test_restyle_buttons_keep_the_options_also_after_a_restart(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    first = await result_of(fake, await toon(fake, photo_bytes(64, 64), texture=0.2, color=0.9))
    await toonbot.restart()  # all a click needs is in the custom_id
    second = await result_of(fake, await fake.click(2002, first, "toon:re:classic:t200c900"))
    assert [(j.style, j.options) for j in toonbot.jobs] == [
        ("webtoon", SOFT_VIVID),
        ("classic", SOFT_VIVID),
    ]
    assert toonbot.styles["classic"].options_seen == [SOFT_VIVID]  # type: ignore[attr-defined]
    original = decode_upload(fake.file(first["attachments"][1]))
    pixels = decode_upload(fake.file(second["attachments"][0]))
    assert np.abs(pixels.astype(int) - original[..., [1, 2, 0]].astype(int)).max() <= 1
    # The redrawn result's buttons carry them on.
    assert custom_ids(second) == [
        "toon:re:webtoon:t200c900",
        "toon:re:sketch:t200c900",
        "toon:del:2002",
    ]
    assert await used_today(toonbot, 2002) == 1

    # Buttons posted before options existed still redraw, with the defaults.
    old = with_buttons(first, "toon:re:sketch", f"toon:del:{USER}")
    third = await result_of(fake, await fake.click(USER, old, "toon:re:sketch"))
    assert third["attachments"][0]["filename"] == "toon_sketch.png"
    assert toonbot.jobs[2].options == StyleOptions()


async def test_a_corrupted_restyle_button_is_refused_and_costs_nothing(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    first = await result_of(fake, await toon(fake, photo_bytes()))
    broken = with_buttons(first, "toon:re:classic:t5000")
    click = await fake.click(2002, broken, "toon:re:classic:t5000")
    text = messages.error_message(BadStyleOption("texture", "5.0", "out of range"))
    await fake.wait_for(lambda: text in fake.ephemeral_texts(click))
    assert len(toonbot.jobs) == 1
    assert await used_today(toonbot, 2002) == 0

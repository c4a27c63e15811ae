"""The Discord frontend: a discord.py Client with the toonbot commands, wired to engine and quotas."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Literal, Self

import aiohttp
import discord
import yarl
from discord import app_commands

from bot.budget import ByteBudget
from bot.config import OutputSettings
from bot.discord.buttons import CancelButton, DeleteButton, RestyleButton
from bot.discord.commands import Handlers, build_commands
from bot.discord.handlers import ToonHandlers
from bot.discord.pipeline import DiscordPipeline
from bot.discord.translator import CatalogueTranslator
from bot.i18n import lang_for
from bot.messages import DC_SERVER_ERROR
from bot.metrics import BotMetrics
from bot.pipeline import PipelineSettings, Privacy, RequestPipeline, StyleMemory
from bot.pipeline.privacy import DEFAULT_PURGE_INTERVAL_S
from bot.quota import QuotaService, RecoveredCharge
from engine.api import EngineSurface
from engine.imageio import ImageLimits
from engine.video import VideoLimits

__all__ = ["DiscordFrontend", "DiscordStartError", "ShardedToonClient", "ToonClient", "point_at"]

log = logging.getLogger(__name__)

# How long start() waits for the gateway's READY, and stop() for pictures in progress.
READY_TIMEOUT_S = 60.0
DRAIN_TIMEOUT_S = 120.0
# Discord allows one IDENTIFY per 5 s per bot (max_concurrency 1); discord.py's default pace.
IDENTIFY_INTERVAL_S = 5.0


class DiscordStartError(Exception):
    """Discord could not be reached or refused to connect (a refused token is LoginFailure)."""


def point_at(api_base: str | None = None, gateway: str | None = None) -> None:
    """Send discord.py's REST calls and gateway connection elsewhere (process-wide; for fakes)."""
    # discord.py has no per-client setting for either; both are read when used.
    if api_base is not None:
        discord.http.Route.BASE = api_base.rstrip("/")
    if gateway is not None:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)


def _intents() -> discord.Intents:
    # Interactions arrive whatever the intents; guilds only keeps discord.py's cache sane. The
    # (unprivileged) message intents bring MESSAGE_DELETE, which cancels a clip whose source
    # message is deleted; no message is cached (max_messages=None), as none is read from a cache.
    return discord.Intents(guilds=True, guild_messages=True, dm_messages=True)


class _ToonEvents(discord.Client):
    """Buttons and delete events shared by the plain and the sharded client."""

    handlers: Handlers | None
    tree: app_commands.CommandTree[discord.Client]

    async def setup_hook(self) -> None:
        """Make result buttons answer even on messages sent before this process started, and
        have synced commands carry their descriptions' translations (login runs this hook)."""
        self.add_dynamic_items(RestyleButton, DeleteButton, CancelButton)
        await self.tree.set_translator(CatalogueTranslator())

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """A deleted message stops the clip being drawn from it."""
        if self.handlers is not None:
            await self.handlers.source_deleted(payload.message_id)

    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        """Bulk deletes (a moderator's purge) stop clips drawn from any of the messages."""
        if self.handlers is not None:
            for message_id in payload.message_ids:
                await self.handlers.source_deleted(message_id)


class ToonClient(_ToonEvents):
    """A Client carrying the command tree, the result buttons and the handlers they call."""

    def __init__(self, styles: tuple[str, ...], handlers: Handlers | None = None) -> None:
        _quiet_voice()
        # The guild cache is never used, so READY need not wait for it to fill.
        super().__init__(intents=_intents(), guild_ready_timeout=0.1, max_messages=None)
        self.handlers = handlers
        self.tree = _command_tree(self, styles)


class ShardedToonClient(_ToonEvents, discord.AutoShardedClient):
    """ToonClient over several gateway connections (shards), for bots in many servers."""

    def __init__(
        self,
        styles: tuple[str, ...],
        handlers: Handlers | None = None,
        *,
        shard_count: int | None = None,
        shard_ids: tuple[int, ...] = (),
        identify_interval_s: float = IDENTIFY_INTERVAL_S,
    ) -> None:
        _quiet_voice()
        # shard_count None asks Discord (GET /gateway/bot) how many shards it recommends.
        # shard_ids: this process's part of the shards; none given = all of them.
        subset: dict[str, Any] = {"shard_ids": list(shard_ids)} if shard_ids else {}
        super().__init__(
            intents=_intents(),
            guild_ready_timeout=0.1,
            max_messages=None,
            shard_count=shard_count,
            **subset,
        )
        self.handlers = handlers
        self.tree = _command_tree(self, styles)
        self._identify_interval_s = identify_interval_s

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Space out shard IDENTIFYs as Discord requires (one per 5 s for most bots)."""
        if not initial:
            await asyncio.sleep(self._identify_interval_s)


def _quiet_voice() -> None:
    # The bot never joins voice: no warnings about voice libraries it doesn't need.
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False


def _command_tree(
    client: discord.Client, styles: tuple[str, ...]
) -> app_commands.CommandTree[discord.Client]:
    tree = app_commands.CommandTree(client)
    for command in build_commands(styles):
        tree.add_command(command)
    tree.on_error = _on_tree_error  # type: ignore[method-assign]
    return tree


async def _on_tree_error(
    interaction: discord.Interaction[discord.Client], error: app_commands.AppCommandError
) -> None:
    log.error("error while handling a Discord command", exc_info=error)
    text = lang_for(interaction.locale)(DC_SERVER_ERROR)
    with contextlib.suppress(discord.HTTPException):
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)


class DiscordFrontend:
    """Runs the Discord bot; `async with DiscordFrontend(...)` or start()/stop()."""

    def __init__(
        self,
        token: str,
        engine: EngineSurface,
        quota: QuotaService,
        *,
        images: ImageLimits,
        output: OutputSettings,
        default_style: str,
        api_base: str | None = None,
        gateway: str | None = None,
        status_interval_s: float = 1.0,
        ready_timeout_s: float = READY_TIMEOUT_S,
        video: VideoLimits | None = None,
        metrics: BotMetrics | None = None,
        shards: int | Literal["auto"] = 0,
        shard_ids: tuple[int, ...] = (),
        identify_interval_s: float = IDENTIFY_INTERVAL_S,
        budget: ByteBudget | None = None,
        purge_interval_s: float = DEFAULT_PURGE_INTERVAL_S,
    ) -> None:
        """budget: bytes of uploads in flight, shared with the other frontends (bot.budget);
        purge_interval_s: the [database] purge pace, which /toon-privacy quotes."""
        point_at(api_base, gateway)
        self._token = token
        self._ready_timeout_s = ready_timeout_s
        shared = RequestPipeline(
            engine,
            quota,
            PipelineSettings(
                images,
                output,
                status_interval_s=status_interval_s,
                video=video or VideoLimits(),
                # Twice the picture status pace: 2 s in production, quick in tests.
                progress_interval_s=2 * status_interval_s,
                budget=budget,
            ),
            metrics,
        )
        self._pipeline = DiscordPipeline(shared)
        styles = StyleMemory(quota, engine.style_names, default_style)
        handlers = ToonHandlers(self._pipeline, quota, styles, Privacy(quota, purge_interval_s))
        # shards: 0 = one plain connection; "auto" = as many as Discord recommends; N = N.
        self._client: ToonClient | ShardedToonClient = (
            ToonClient(engine.style_names, handlers)
            if shards == 0
            else ShardedToonClient(
                engine.style_names,
                handlers,
                shard_count=None if shards == "auto" else shards,
                shard_ids=shard_ids,
                identify_interval_s=identify_interval_s,
            )
        )
        self._connection: asyncio.Task[None] | None = None

    @property
    def client(self) -> ToonClient | ShardedToonClient:
        """The underlying discord.py Client."""
        return self._client

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Log in, connect to the gateway and wait until READY (commands are not synced)."""
        try:
            await self._client.login(self._token)
            self._connection = asyncio.create_task(self._client.connect(), name="toonbot-dc")
            ready = asyncio.create_task(self._client.wait_until_ready())
            done, _ = await asyncio.wait(
                {self._connection, ready},
                timeout=self._ready_timeout_s,
                return_when=asyncio.FIRST_COMPLETED,
            )
            ready.cancel()
            if self._connection in done:
                self._connection.result()  # raises why the gateway gave up
                raise ConnectionError("the Discord gateway closed the connection")
            if ready not in done:
                raise TimeoutError(
                    f"no READY from the Discord gateway in {self._ready_timeout_s} s"
                )
        except discord.LoginFailure:
            await self.stop()
            raise
        except (discord.DiscordException, aiohttp.ClientError, OSError) as exc:
            # TimeoutError is an OSError too.
            await self.stop()
            raise DiscordStartError(str(exc) or type(exc).__name__) from exc
        except BaseException:
            await self.stop()
            raise

    async def notify_restarted(self, charges: Sequence[RecoveredCharge]) -> None:
        """Tell the Discord users among `charges` that a restart cut their picture short."""
        for charge in charges:
            if charge.platform == "discord":
                await self._pipeline.notify_restarted(self._client, charge)

    async def stop(self) -> None:
        """Let pictures in progress finish, then disconnect and close the HTTP session."""
        if self._client.is_ready():
            await self._pipeline.wait_idle(DRAIN_TIMEOUT_S)
        await self._client.close()
        if self._connection is not None:
            connection, self._connection = self._connection, None
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(connection, 10)

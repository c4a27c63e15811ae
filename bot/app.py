"""The composition root: opens every shared resource once and hands it to the frontends."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

from bot.config import (
    DISCORD_TOKEN_ENV,
    TELEGRAM_TOKEN_ENV,
    Config,
    ConfigError,
    check_device,
    state_dir,
)
from bot.dotenv_file import DOTENV_FILE
from bot.messages import (
    CLI_LOG_KEY_FAILED,
    DC_BAD_TOKEN,
    DC_START_FAILED,
    NO_TOKEN,
    TG_BAD_TOKEN,
    TG_START_FAILED,
)

__all__ = ["configured_frontends", "open_engine", "run_bots"]

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # the real imports wait until the bots run: they pull in torch and PTB
    from bot.metrics import BotMetrics
    from bot.quota import QuotaService, RecoveredCharge
    from engine.api import EngineSurface
    from engine.metrics import EngineMetrics


class Frontend(Protocol):
    """What the composition root needs of a frontend: run while entered, and notify users."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def notify_restarted(self, charges: Sequence[RecoveredCharge]) -> None:
        """Tell this platform's users among `charges` that a restart refunded their picture."""


FrontendFactory = Callable[[Config, "EngineSurface", "QuotaService", "BotMetrics | None"], Frontend]
# Builds the one shared engine from config; benchmarks pass one that also times each job.
EngineFactory = Callable[[Config], "EngineSurface"]


def configured_frontends(config: Config) -> list[str]:
    """Frontends that are enabled in config.toml and have a token in the environment."""
    wanted = []
    if config.telegram.enabled and config.secrets.telegram_token:
        wanted.append("telegram")
    if config.discord.enabled and config.secrets.discord_token:
        wanted.append("discord")
    return wanted


def _telegram(
    config: Config, engine: EngineSurface, quota: QuotaService, metrics: BotMetrics | None
) -> Frontend:
    from bot.budget import shared_budget
    from bot.telegram import TelegramFrontend

    assert config.secrets.telegram_token is not None
    api = config.telegram.api_url.rstrip("/")
    return TelegramFrontend(
        config.secrets.telegram_token,
        engine,
        quota,
        images=config.images,
        output=config.output,
        default_style=config.styles.default,
        video=config.video,
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        metrics=metrics,
        budget=shared_budget(config.memory.inflight_mb, config.memory.busy_wait_s),
        purge_interval_s=config.database.purge_interval_s,
    )


def _discord(
    config: Config, engine: EngineSurface, quota: QuotaService, metrics: BotMetrics | None
) -> Frontend:
    from bot.budget import shared_budget
    from bot.discord import DiscordFrontend

    assert config.secrets.discord_token is not None
    return DiscordFrontend(
        config.secrets.discord_token,
        engine,
        quota,
        images=config.images,
        output=config.output,
        default_style=config.styles.default,
        video=config.video,
        metrics=metrics,
        shards=config.discord.shards,
        shard_ids=config.discord.shard_ids,
        budget=shared_budget(config.memory.inflight_mb, config.memory.busy_wait_s),
        purge_interval_s=config.database.purge_interval_s,
    )


def open_engine(config: Config, metrics: EngineMetrics | None = None) -> EngineSurface:
    """The engine the frontends share: in this process, or a Ray Serve app (engine.backend).

    Both offer engine.api.EngineSurface (checked by mypy), all the frontends use of an engine,
    so they need not know which backend they got.
    """
    from engine.engine import Engine

    if config.engine.backend == "ray":
        from engine.remote import RayEngine

        return RayEngine(config.engine)
    # Engine metrics are local: with Ray the replicas' queues live in other processes.
    return Engine(config.engine, models=config.models, metrics=metrics)


# Each frontend shares the one engine and database.
_FACTORIES: dict[str, FrontendFactory] = {"telegram": _telegram, "discord": _discord}


async def run_bots(
    config: Config,
    *,
    stop: asyncio.Event | None = None,
    engine_factory: EngineFactory | None = None,
) -> int:
    """Start every configured frontend on one shared engine; return the exit code."""
    frontends = configured_frontends(config)
    if not frontends:
        print(
            "toonbot: "
            + NO_TOKEN.format(
                telegram_env=TELEGRAM_TOKEN_ENV,
                discord_env=DISCORD_TOKEN_ENV,
                dotenv=DOTENV_FILE.absolute(),
            ),
            file=sys.stderr,
        )
        return 2
    stop = stop if stop is not None else asyncio.Event()
    with _stop_on_signals(stop):
        return await _serve(config, frontends, stop, engine_factory)


async def _serve(
    config: Config,
    names: list[str],
    stop: asyncio.Event,
    engine_factory: EngineFactory | None = None,
) -> int:
    from discord import LoginFailure
    from telegram.error import InvalidToken, TelegramError

    from bot.db import Database, DatabaseError
    from bot.discord import DiscordStartError
    from bot.metrics import MetricsError
    from bot.quota import QuotaService, QuotaUnavailable
    from bot.quota.purge import purging
    from engine.errors import EngineClosed
    from engine.neural.cards import CardError

    try:
        check_device(config)
    except ConfigError as exc:
        print(f"toonbot: {exc}", file=sys.stderr)
        return 2
    from bot.tracking import TAG_KEY_FILE, load_tag_key, use_tag_key

    key_file = state_dir(config) / TAG_KEY_FILE
    try:
        use_tag_key(load_tag_key(key_file))
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        print(
            "toonbot: " + CLI_LOG_KEY_FAILED.format(path=key_file, reason=reason), file=sys.stderr
        )
        return 1
    engine_metrics, bot_metrics, served = _metrics(config)
    try:
        async with (
            Database(config.database, config.secrets.database_url) as db,
            (
                engine_factory(config)
                if engine_factory is not None
                else open_engine(config, engine_metrics)
            ) as engine,
            served,
        ):
            quota = QuotaService(db, config.quota, instance=config.bot.instance)
            # Before any new work: jobs this instance had in flight when it last stopped (a
            # crash, a kill, a drain that timed out) were charged and never delivered.
            recovered = await quota.recover()
            if recovered:
                log.warning("refunded %d pictures cut short by a restart", len(recovered))
            # Frontends stop first (letting their jobs finish), then the purging of expired
            # quota rows, then the engine, then the DB.
            async with (
                purging(quota, config.database.purge_interval_s),
                contextlib.AsyncExitStack() as frontends,
            ):
                for name in names:
                    frontend = _FACTORIES[name](config, engine, quota, bot_metrics)
                    await frontends.enter_async_context(frontend)
                    await frontend.notify_restarted(recovered)
                log.warning("toonbot is running (%s); stop it with Ctrl+C", ", ".join(names))
                await stop.wait()
    except InvalidToken:
        print("toonbot: " + TG_BAD_TOKEN.format(env=TELEGRAM_TOKEN_ENV), file=sys.stderr)
        return 2
    except TelegramError as exc:
        print("toonbot: " + TG_START_FAILED.format(reason=exc), file=sys.stderr)
        return 1
    except LoginFailure:
        print("toonbot: " + DC_BAD_TOKEN.format(env=DISCORD_TOKEN_ENV), file=sys.stderr)
        return 2
    except DiscordStartError as exc:
        print("toonbot: " + DC_START_FAILED.format(reason=exc), file=sys.stderr)
        return 1
    except (DatabaseError, QuotaUnavailable) as exc:
        print(f"toonbot: {exc}", file=sys.stderr)
        return 1
    except CardError as exc:
        print(f"toonbot: {exc}", file=sys.stderr)
        return 2
    except MetricsError as exc:
        print(f"toonbot: {exc}", file=sys.stderr)
        return 1
    except EngineClosed as exc:  # the Ray backend could not reach its cluster or app
        print(f"toonbot: {exc}", file=sys.stderr)
        return 1
    return 0


def _metrics(
    config: Config,
) -> tuple[EngineMetrics | None, BotMetrics | None, AbstractAsyncContextManager[object]]:
    """Instruments and the /metrics server when [metrics] port is set; nothing otherwise."""
    if not config.metrics.port:
        return None, None, contextlib.nullcontext()
    from prometheus_client import CollectorRegistry

    from bot.metrics import BotMetrics, MetricsServer
    from engine.metrics import EngineMetrics

    registry = CollectorRegistry()
    server = MetricsServer(registry, config.metrics.host, config.metrics.port)
    return EngineMetrics(registry), BotMetrics(registry), server


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    installed = []

    def on_signal(sig: signal.Signals) -> None:
        log.warning("stopping after the pictures in progress; signal again to stop at once")
        stop.set()
        # A second signal then gets Python's default handling: Ctrl+C twice always works.
        loop.remove_signal_handler(sig)

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal, sig)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # not the main thread, or no such support
            pass
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)

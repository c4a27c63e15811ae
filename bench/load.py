"""Load: N users send photos at once through fake Telegram and Discord to the real running bot.

Run: .venv/bin/python bench/load.py [--users 100] [--size 512] [--style webtoon] [--photos 1]
     [--quota 20] [--faults] [--out PATH]
The bot starts through its composition root (bot.app.run_bots) with a real SQLite file, real
engine and real style; users are split between Telegram and Discord and are timed from the fake's
side: update or interaction created -> result picture received. Engine time is each job's
engine.submit (queue wait + inference); bot overhead is end-to-end minus that. Exits 1 when a
user got no answer or two, or the database counts differ from the pictures delivered.

--faults adds a fault mix while the photos arrive: 429s and 5xx on result uploads, answers held
back 8 s after the result was posted (the bots' answer waits are cut to 4 s so these become
"outcome unknown" timeouts), and a database locked by another connection for 1.5 s (busy
timeout 300 ms). It reports delivered / refunded / duplicated / lost / double-charged; the bar
is 0 lost and 0 double-charged. Peak RSS (sampled every 50 ms) and the byte budget's peak are
reported either way.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import discord
import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.engine import test_images as sample_images
from bench.load_report import (
    LoadReport,
    LoadSettings,
    Request,
    check,
    fault_counts,
    print_table,
    summarize,
)
from bot import messages
from bot.app import run_bots
from bot.budget import shared_budget
from bot.config import (
    DISCORD_TOKEN_ENV,
    TELEGRAM_TOKEN_ENV,
    Config,
    DatabaseSettings,
    QuotaSettings,
    parse_config,
)
from bot.db import Database
from bot.discord import transfer
from bot.discord.frontend import point_at
from bot.quota import QuotaService
from bot.telegram import retry
from engine.engine import Engine
from engine.job import Job
from tests.fakes.discord_objects import TOKEN as DISCORD_TOKEN
from tests.fakes.discord_users import GUILD
from tests.fakes.timed import TimedDiscord, TimedTelegram

__all__ = ["run_load"]

WARMUP_TG, WARMUP_DC = 900_001, 900_002
# Friendly refusals: the fixed text before the first placeholder of each quota message.
_REFUSALS = tuple(
    text.split("{")[0]
    for text in (
        messages.DAILY_LIMIT,
        messages.DAILY_LIMIT_ONE,
        messages.CHAT_HOURLY_LIMIT,
        messages.COOLDOWN,
        messages.TOONS_OFF,
        # Nothing charged: the database was locked, or too many uploads were in flight.
        messages.QUOTA_UNAVAILABLE,
        messages.UPLOADS_BUSY,
    )
)
# Status lines while a photo is on its way; any other text that is not a refusal is a failure.
_PROGRESS = tuple(
    text.split("{")[0]
    for text in (
        messages.TG_STATUS_STARTED,
        messages.TG_STATUS_QUEUED,
        messages.TG_STATUS_DRAWING,
        messages.DC_STATUS_STARTED,
        messages.DC_STATUS_QUEUED,
        messages.DC_STATUS_DRAWING,
    )
)


class TimedEngine(Engine):
    """The real engine, timing each submit and each inference call."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.submit_s: dict[str, list[float]] = {}
        self.batches: list[tuple[int, float]] = []

    def _build_worker(self) -> Any:
        worker = super()._build_worker()
        run = worker.run

        def timed(style: str, images: Sequence[np.ndarray], padded: tuple[int, int]) -> Any:
            started = time.perf_counter()
            try:
                return run(style, images, padded)
            finally:
                self.batches.append((len(images), time.perf_counter() - started))

        worker.run = timed  # type: ignore[method-assign]
        return worker

    async def submit(self, job: Job) -> np.ndarray:
        """Engine.submit, timed per user."""
        started = time.perf_counter()
        result = await super().submit(job)
        self.submit_s.setdefault(job.user_id, []).append(time.perf_counter() - started)
        return result


@contextlib.contextmanager
def _discord_at(fake: TimedDiscord) -> Iterator[None]:
    # The composition root has no Discord URL setting: discord.py's class attributes decide.
    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    point_at(fake.api_base, fake.gateway)
    try:
        yield
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


def _jpeg(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def _is_refusal(text: str) -> bool:
    return text.startswith(_REFUSALS)


def _sort(text: str, request: Request) -> None:
    """Count one text the bot sent about `request`: a refusal, a failure, or just progress."""
    if _is_refusal(text):
        request.refusals += 1
    elif text and not text.startswith(_PROGRESS):
        request.failures.append(text)


def _collect(tg: TimedTelegram, dc: TimedDiscord, requests: list[Request]) -> None:
    """Fill in each request's results, refusals and failures from what the fakes received."""
    by_key = {r.key: r for r in requests}
    for r in requests:
        r.refusals, r.failures = 0, []
    # Telegram: replies to the photo, and edits of such a reply (the status line).
    status_of: dict[tuple[int, int], Request] = {}
    for call in tg.calls:
        if not call.ok or call.method not in ("sendMessage", "editMessageText"):
            continue
        chat, text = int(call.params["chat_id"]), str(call.params.get("text", ""))
        if call.method == "sendMessage":
            reply = call.params.get("reply_parameters") or {}
            request = by_key.get(f"{chat}:{reply.get('message_id')}")
            if request is not None:
                status_of[(chat, call.result["message_id"])] = request
        else:
            request = status_of.get((chat, int(call.params["message_id"])))
        if request is not None:
            _sort(text, request)
    for r in requests:
        if r.platform == "telegram":
            chat, message_id = r.key.split(":")
            r.results_at = list(tg.photos_at.get((int(chat), int(message_id)), []))
        else:
            r.results_at = list(dc.files_at.get(r.key, []))
            for text in dc.ephemeral_texts(dc.interactions[r.key]):
                _sort(text, r)


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def _sample_rss(peak: list[float]) -> None:
    """Keep peak[0] at the highest resident set size seen, in MB, until cancelled."""
    while True:
        peak[0] = max(peak[0], _rss_mb())
        await asyncio.sleep(0.05)


def _inject_faults(tg: TimedTelegram, dc: TimedDiscord) -> None:
    """The fault mix on result uploads; see the module docstring."""
    retry.READ_TIMEOUT_S = 4.0
    transfer.ANSWER_WAIT_S = 4.0
    tg.fail_next("sendPhoto", 429, retry_after=1, times=2)
    tg.fail_next("sendPhoto", 502, times=2)
    dc.fail_next("POST", "webhooks/", 429, retry_after=0.5, times=2)
    dc.fail_next("POST", "webhooks/", 500, times=2)
    for _ in range(2):
        tg.stall_next("sendPhoto", 8.0)
        dc.stall_next("POST", "webhooks/", 8.0)


async def _lock_database(path: str, seconds: float) -> None:
    """Another connection holds the write lock for `seconds`."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        await asyncio.sleep(seconds)
        other.execute("ROLLBACK")
    finally:
        other.close()


def _config(settings: LoadSettings, tg: TimedTelegram, workdir: Path) -> Config:
    data = {
        "telegram": {"api_url": tg.url},
        "database": {
            "sqlite_path": str(workdir / "toonbot.sqlite3"),
            "busy_timeout_ms": 300 if settings.faults else 5000,
        },
        "engine": settings.engine,
        "styles": {"default": settings.style},
        "quota": {"daily_per_user": settings.quota, "cooldown_s": 0, "per_chat_per_hour": 0},
        "models": {"cache_dir": str(workdir / "models")},  # built-in styles only
    }
    env = {TELEGRAM_TOKEN_ENV: tg.token, DISCORD_TOKEN_ENV: DISCORD_TOKEN}
    return parse_config(data, env)


async def _send(
    tg: TimedTelegram, dc: TimedDiscord, photos: list[tuple[str, int, bytes]]
) -> list[Request]:
    """Every (platform, user, photo) sent as fast as the fakes take them."""
    requests = []
    for platform_name, user, data in photos:
        if platform_name == "telegram":
            sent_at = time.perf_counter()
            message = tg.push_photo(user, data)
            key = f"{message['chat']['id']}:{message['message_id']}"
        else:
            attachment = dc.upload(data)
            sent_at = time.perf_counter()
            key = (await dc.toon(user, attachment)).token
        requests.append(Request(platform_name, user, key, sent_at))
    return requests


async def _until_answered(
    tg: TimedTelegram,
    dc: TimedDiscord,
    requests: list[Request],
    bot: asyncio.Task[int],
    limit: float,
) -> None:
    deadline = time.monotonic() + limit
    next_note = time.monotonic() + 10
    while time.monotonic() < deadline and not bot.done():
        _collect(tg, dc, requests)
        answered = sum(r.settled for r in requests)
        if answered == len(requests):
            return
        if time.monotonic() > next_note:
            print(f"... {answered} of {len(requests)} answered", file=sys.stderr)
            next_note += 10
        await asyncio.sleep(0.25)


async def run_load(settings: LoadSettings, workdir: Path) -> LoadReport:
    """Start the fakes and the bot, send every photo at once, stop the bot, read the database."""
    n_tg = (settings.users + 1) // 2
    users = [("telegram", 1 + i) for i in range(n_tg)]
    users += [("discord", 1_000 + i) for i in range(settings.users - n_tg)]
    images = sample_images(settings.size, max(1, settings.users * settings.photos))
    photos = [
        (name, user, _jpeg(images[(i * settings.photos + k) % len(images)]))
        for i, (name, user) in enumerate(users)
        for k in range(settings.photos)
    ]
    engines: list[TimedEngine] = []

    def make_engine(config: Config) -> Engine:
        engines.append(TimedEngine(config.engine, models=config.models))
        return engines[-1]

    peak_rss = [_rss_mb()]
    sampler = asyncio.create_task(_sample_rss(peak_rss))
    async with TimedTelegram() as tg, TimedDiscord() as dc:
        config = _config(settings, tg, workdir)
        stop = asyncio.Event()
        with _discord_at(dc):
            bot = asyncio.create_task(run_bots(config, stop=stop, engine_factory=make_engine))
            try:
                await dc.wait_for(lambda: dc.identified or bot.done(), timeout=120)
                if bot.done():
                    raise RuntimeError(f"the bot did not start (exit code {bot.result()})")
                # One photo per platform first: both bots are up and the engine is warm.
                first = photos[0][2]
                warm = await _send(
                    tg, dc, [("telegram", WARMUP_TG, first), ("discord", WARMUP_DC, first)]
                )
                await _until_answered(tg, dc, warm, bot, 300)
                if not all(r.results_at or r.refusals for r in warm):
                    texts = [t for r in warm for t in r.failures] or ["no answer"]
                    raise RuntimeError(f"the warm-up photos failed: {'; '.join(texts)}")
                warm_batches = len(engines[0].batches)
                engines[0].submit_s.clear()
                before_rss = _rss_mb()
                peak_rss[0] = before_rss
                locked = None
                if settings.faults:
                    _inject_faults(tg, dc)
                    path = config.database.sqlite_path
                    locked = asyncio.create_task(_lock_database(path, 1.5))
                requests = await _send(tg, dc, photos)
                await _until_answered(tg, dc, requests, bot, settings.timeout_s)
                if locked is not None:
                    await locked
                await asyncio.sleep(0.5)  # room for a late duplicate to show up
            finally:
                stop.set()
                exit_code = await asyncio.wait_for(bot, timeout=120)
        _collect(tg, dc, requests)
    sampler.cancel()
    budget = shared_budget(config.memory.inflight_mb, config.memory.busy_wait_s)
    memory = {
        "rss_before_mb": round(before_rss, 1),
        "rss_peak_mb": round(peak_rss[0], 1),
        "budget_limit_mb": config.memory.inflight_mb,
        "budget_peak_mb": round(budget.peak / 1024 / 1024, 1),
    }
    engine = engines[0]
    db_used = await _usage(config, requests)
    return LoadReport(
        settings,
        requests,
        engine.submit_s,
        engine.batches[warm_batches:],
        db_used,
        exit_code,
        memory,
    )


async def _usage(config: Config, requests: list[Request]) -> dict[str, int]:
    """Photos counted today per user, read back from the bot's database file."""
    used: dict[str, int] = {}
    async with Database(DatabaseSettings(sqlite_path=config.database.sqlite_path)) as db:
        quota = QuotaService(db, QuotaSettings(daily_per_user=config.quota.daily_per_user))
        for r in requests:
            chat = f"tg:{r.user}" if r.platform == "telegram" else f"dc:{GUILD}"
            used[r.user_key] = (await quota.status(r.user_key, chat)).used_today
    return used


def main(argv: list[str] | None = None) -> int:
    """Run the scenario, print a table, write JSON; exit 1 if an invariant broke."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100, help="split between Telegram and Discord")
    parser.add_argument("--size", type=int, default=512, help="photo side in pixels")
    parser.add_argument("--style", default="webtoon")
    parser.add_argument("--photos", type=int, default=1, help="photos each user sends at once")
    parser.add_argument("--quota", type=int, default=20, help="daily photos per user")
    parser.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for answers")
    parser.add_argument("--faults", action="store_true", help="add the fault mix (see above)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    settings = LoadSettings(
        users=args.users,
        size=args.size,
        style=args.style,
        photos=args.photos,
        quota=args.quota,
        timeout_s=args.timeout,
        faults=args.faults,
        engine={"device": args.device},
    )
    load_before = os.getloadavg()[0]  # other work on the host skews every figure
    with tempfile.TemporaryDirectory(prefix="toonbot-load-") as workdir:
        report = asyncio.run(run_load(settings, Path(workdir)))
    summary = summarize(report)
    summary["faults"] = fault_counts(report)
    summary["memory"] = report.memory
    problems = check(report)
    if summary["faults"]["lost"] or summary["faults"]["double_charged"]:
        problems.append(f"lost or double-charged: {summary['faults']}")
    device = "cuda" if args.device != "cpu" and torch.cuda.is_available() else "cpu"
    meta = {
        "device": torch.cuda.get_device_name(0)
        if device == "cuda"
        else platform.processor() or "cpu",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        **{k: v for k, v in asdict(settings).items() if k != "engine"},
        # The allocator matters for eager torch on the CPU (see README, Benchmarks).
        "malloc": os.environ.get("LD_PRELOAD") or os.environ.get("MALLOC_MMAP_THRESHOLD_") or "",
        "host_load_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }
    print(" ".join(f"{k}={v}" for k, v in meta.items()))
    print_table(summary)
    print(" ".join(f"{k}={v}" for k, v in {**summary["faults"], **report.memory}.items()))
    name = f"load-{device}{'-faults' if args.faults else ''}.json"
    target = args.out or Path(__file__).with_name("results") / name
    target.parent.mkdir(parents=True, exist_ok=True)
    result = {"meta": meta, "summary": summary, "violations": problems}
    target.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {target}")
    for problem in problems:
        print(f"VIOLATION: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""Load: N users send photos at once through fake Telegram and Discord to the real running bot.

Run: .venv/bin/python bench/load.py [--users 100] [--size 512] [--style webtoon] [--photos 1]
     [--quota 20] [--faults] [--out PATH]
     .venv/bin/python bench/load.py --videos 10 [--video-mb 19] [--style sketch] [--out PATH]
The bot starts through its composition root (bot.app.run_bots) with a real SQLite file, real
engine and real style; users are split between Telegram and Discord and are timed from the fake's
side: update or interaction created -> result picture received. Engine time is each job's
engine.submit (queue wait + inference); bot overhead is end-to-end minus that. Exits 1 when a
user got no answer or two, or the database counts differ from the pictures delivered.

--faults adds a fault mix while the photos arrive: 429s and 5xx on result uploads, answers held
back 8 s after the result was posted (the bots' answer waits are cut to 4 s so these become
"outcome unknown" timeouts), and a database locked by another connection for 1.5 s (busy
timeout 300 ms). It reports delivered / refunded / duplicated / lost / double-charged; the bar
is 0 lost and 0 double-charged. Peak RSS (sampled every 20 ms, and the kernel's high-water mark
reset before the flood) and the byte budget's peak are reported either way.

--videos N is a clip flood instead: N users (split between the platforms) each send one mp4 of
about --video-mb MB (10**6 bytes; keep it under Telegram's 20 MiB download limit) at once. The
clip is built here: 1280x720 random noise at high bitrate, 8 fps, so the FILE is big while only
~2-3 s of frames (scaled to --video-side) are drawn. Each budget runs in a fresh process, so one
run's heap does not inflate the next one's RSS: by default the byte budget at its default
([memory] inflight_mb) and effectively off (65536 MiB); --inflight-mb 256,65536,64 picks them.
The runs go side by side into bench/results/load-<device>-videos.json: delivered / refunded as
busy / lost / double-charged, and peak RSS against RSS just before the flood (the fakes and the
bot share the process; the fakes keep one copy of the clip, already counted before the flood).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import io
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import av
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
    print_video_table,
    summarize,
    summarize_clips,
)
from bot import messages
from bot.app import run_bots
from bot.budget import shared_budget
from bot.config import (
    DISCORD_TOKEN_ENV,
    TELEGRAM_TOKEN_ENV,
    Config,
    DatabaseSettings,
    MemorySettings,
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
from tests.fakes.discord_objects import JSON
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
        messages.TG_STATUS_STARTED_CLIP,
        messages.TG_VIDEO_PROGRESS,
        messages.DC_STATUS_STARTED_CLIP,
        messages.DC_VIDEO_PROGRESS,
    )
)
_BUSY = messages.UPLOADS_BUSY
# The byte budget "effectively off": the largest [memory] inflight_mb the config accepts.
BUDGET_OFF_MB = 65536


class _Telegram(TimedTelegram):
    """TimedTelegram that also notes drawn clips (sendVideo, sendAnimation) as results."""

    def _note(self, p: JSON) -> None:
        reply = p.get("reply_parameters") or {}
        key = (int(p["chat_id"]), reply.get("message_id"))
        self.photos_at.setdefault(key, []).append(time.perf_counter())

    async def _m_sendVideo(self, p: JSON, f: dict[str, bytes]) -> JSON:
        result = await super()._m_sendVideo(p, f)
        self._note(p)
        return result

    async def _m_sendAnimation(self, p: JSON, f: dict[str, bytes]) -> JSON:
        result = await super()._m_sendAnimation(p, f)
        self._note(p)
        return result


def noise_clip(target_bytes: int, *, w: int = 1280, h: int = 720, fps: int = 8) -> bytes:
    """An H.264 mp4 of random noise, about `target_bytes` long (within a few %): noise does not
    compress, so each frame costs ~1 MB and a 19 MB file is ~18 frames (2.3 s at 8 fps)."""

    def encode(frames: int) -> bytes:
        rng = np.random.default_rng(0)
        buf = io.BytesIO()
        with av.open(buf, mode="w", format="mp4") as out:
            vs = out.add_stream("libx264", rate=fps, options={"crf": "10", "preset": "ultrafast"})
            vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
            for _ in range(frames):
                pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
                out.mux(vs.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
            out.mux(vs.encode(None))
        return buf.getvalue()

    frames = 6
    data = encode(frames)
    for _ in range(2):  # two corrections: the first frames and the header cost more per frame
        frames = max(2, round(frames * target_bytes / len(data)))
        data = encode(frames)
    return data


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
        request.busy += text == _BUSY
    elif text and not text.startswith(_PROGRESS):
        request.failures.append(text)


def _collect(tg: TimedTelegram, dc: TimedDiscord, requests: list[Request]) -> None:
    """Fill in each request's results, refusals and failures from what the fakes received."""
    by_key = {r.key: r for r in requests}
    for r in requests:
        r.refusals, r.busy, r.failures = 0, 0, []
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


def _status_mb(field: str = "VmRSS") -> float:
    """A size from /proc/self/status (VmRSS: resident now, VmHWM: resident at most), in MiB."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def _rss_mb() -> float:
    return _status_mb("VmRSS")


class _RssPeak:
    """The highest RSS since reset(), in MiB: sampled every 20 ms by a thread (decoding runs in
    threads and can hold the event loop), and the kernel's VmHWM, reset by reset() where the
    kernel allows it (/proc/self/clear_refs), which catches spikes between samples."""

    def __init__(self) -> None:
        self.peak = _rss_mb()
        self.hwm_reset = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_mb())

    def reset(self) -> float:
        """Start over from now; returns the RSS now."""
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
                fh.write("5")  # resets VmHWM to the current RSS
            self.hwm_reset = True
        except OSError:
            self.hwm_reset = False
        now = _rss_mb()
        self.peak = now
        return now

    def stop(self) -> float:
        """Stop sampling; returns the peak (MiB)."""
        self._stop.set()
        self._thread.join()
        if self.hwm_reset:
            self.peak = max(self.peak, _status_mb("VmHWM"))
        return self.peak


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
        "memory": {"inflight_mb": settings.inflight_mb, "busy_wait_s": settings.busy_wait_s},
        "video": {"max_side": settings.video_side},
    }
    env = {TELEGRAM_TOKEN_ENV: tg.token, DISCORD_TOKEN_ENV: DISCORD_TOKEN}
    return parse_config(data, env)


async def _send(
    tg: TimedTelegram,
    dc: TimedDiscord,
    photos: list[tuple[str, int, bytes]],
    *,
    clips: bool = False,
) -> list[Request]:
    """Every (platform, user, photo) sent as fast as the fakes take them; mp4 clips if `clips`."""
    requests = []
    for platform_name, user, data in photos:
        if platform_name == "telegram":
            sent_at = time.perf_counter()
            message = tg.push_video(user, data) if clips else tg.push_photo(user, data)
            key = f"{message['chat']['id']}:{message['message_id']}"
        else:
            attachment = dc.upload(data, "clip.mp4", "video/mp4") if clips else dc.upload(data)
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


async def run_load(settings: LoadSettings, workdir: Path, clip: bytes | None = None) -> LoadReport:
    """Start the fakes and the bot, send every photo at once, stop the bot, read the database.

    With settings.video_mb > 0 each user sends `clip` (one shared bytes object, so the fakes
    hold one copy) instead of photos; the warm-up is still one photo per platform."""
    clips = settings.video_mb > 0
    if clips and clip is None:
        raise ValueError("a clip flood needs the clip")
    n_tg = (settings.users + 1) // 2
    users = [("telegram", 1 + i) for i in range(n_tg)]
    users += [("discord", 1_000 + i) for i in range(settings.users - n_tg)]
    per_user = 1 if clips else settings.photos
    images = sample_images(settings.size, 1 if clips else max(1, settings.users * per_user))
    warm_photo = _jpeg(images[0])
    photos = [
        (name, user, clip if clip is not None else _jpeg(images[(i * per_user + k) % len(images)]))
        for i, (name, user) in enumerate(users)
        for k in range(per_user)
    ]
    engines: list[TimedEngine] = []

    def make_engine(config: Config) -> Engine:
        engines.append(TimedEngine(config.engine, models=config.models))
        return engines[-1]

    rss = _RssPeak()
    async with _Telegram() as tg, TimedDiscord() as dc:
        config = _config(settings, tg, workdir)
        stop = asyncio.Event()
        with _discord_at(dc):
            bot = asyncio.create_task(run_bots(config, stop=stop, engine_factory=make_engine))
            try:
                await dc.wait_for(lambda: dc.identified or bot.done(), timeout=120)
                if bot.done():
                    raise RuntimeError(f"the bot did not start (exit code {bot.result()})")
                # One photo per platform first: both bots are up and the engine is warm.
                warm = await _send(
                    tg,
                    dc,
                    [("telegram", WARMUP_TG, warm_photo), ("discord", WARMUP_DC, warm_photo)],
                )
                await _until_answered(tg, dc, warm, bot, 300)
                if not all(r.results_at or r.refusals for r in warm):
                    texts = [t for r in warm for t in r.failures] or ["no answer"]
                    raise RuntimeError(f"the warm-up photos failed: {'; '.join(texts)}")
                warm_batches = len(engines[0].batches)
                engines[0].submit_s.clear()
                before_rss = rss.reset()
                locked = None
                if settings.faults:
                    _inject_faults(tg, dc)
                    path = config.database.sqlite_path
                    locked = asyncio.create_task(_lock_database(path, 1.5))
                requests = await _send(tg, dc, photos, clips=clips)
                await _until_answered(tg, dc, requests, bot, settings.timeout_s)
                if locked is not None:
                    await locked
                await asyncio.sleep(0.5)  # room for a late duplicate to show up
            finally:
                stop.set()
                exit_code = await asyncio.wait_for(bot, timeout=120)
        _collect(tg, dc, requests)
    peak_rss = rss.stop()
    budget = shared_budget(config.memory.inflight_mb, config.memory.busy_wait_s)
    memory = {
        "rss_before_mb": round(before_rss, 1),
        "rss_peak_mb": round(peak_rss, 1),
        "rss_growth_mb": round(peak_rss - before_rss, 1),
        "rss_hwm_used": rss.hwm_reset,
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


def _host_meta(args: argparse.Namespace, settings: LoadSettings) -> dict[str, Any]:
    device = "cuda" if args.device != "cpu" and torch.cuda.is_available() else "cpu"
    return {
        "device": torch.cuda.get_device_name(0)
        if device == "cuda"
        else platform.processor() or "cpu",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        **{k: v for k, v in asdict(settings).items() if k != "engine"},
        # The allocator matters for eager torch on the CPU (see README, Benchmarks).
        "malloc": os.environ.get("LD_PRELOAD") or os.environ.get("MALLOC_MMAP_THRESHOLD_") or "",
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }


def _video_run(args: argparse.Namespace, settings: LoadSettings) -> int:
    """One clip flood in this process (the --clip form the video mode starts); JSON to --out."""
    clip = args.clip.read_bytes()
    with tempfile.TemporaryDirectory(prefix="toonbot-load-") as workdir:
        report = asyncio.run(run_load(settings, Path(workdir), clip))
    summary = summarize_clips(report)
    problems = check(report)
    if summary["lost"] or summary["double_charged"]:
        problems.append(f"lost or double-charged: {fault_counts(report)}")
    result = {"clip_bytes": len(clip), "summary": summary, "violations": problems}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 1 if problems else 0


def _video_main(args: argparse.Namespace, settings: LoadSettings) -> int:
    """The clip flood twice, each run in a fresh process: the budget at its default and off."""
    limit = 20 * 1024 * 1024  # Telegram's download limit, and [video] max_bytes by default
    default_mb = MemorySettings().inflight_mb
    budgets = args.inflight_mb or [default_mb, BUDGET_OFF_MB]
    load_before = os.getloadavg()
    started = time.perf_counter()
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="toonbot-clips-") as tmp:
        clip = noise_clip(int(args.video_mb * 1e6))
        if len(clip) > limit:
            print(f"the clip is {len(clip)} bytes, over the {limit}-byte limit", file=sys.stderr)
            return 2
        clip_path = Path(tmp) / "clip.mp4"
        clip_path.write_bytes(clip)
        codes = []
        for mb in budgets:
            label = "budget off" if mb >= BUDGET_OFF_MB else f"budget {mb} MiB"
            label += " (default)" if mb == default_mb else ""
            out = Path(tmp) / f"run-{mb}.json"
            command = [sys.executable, __file__, "--videos", str(settings.users)]
            command += ["--video-mb", str(args.video_mb), "--video-side", str(args.video_side)]
            command += ["--style", settings.style, "--size", str(settings.size)]
            command += ["--device", args.device, "--timeout", str(settings.timeout_s)]
            command += ["--busy-wait", str(settings.busy_wait_s), "--inflight-mb", str(mb)]
            command += ["--clip", str(clip_path), "--out", str(out)]
            print(f"--- {label}: {settings.users} clips of {len(clip) / 1e6:.1f} MB", flush=True)
            codes.append(subprocess.run(command, check=False).returncode)
            if out.exists():
                runs[label] = json.loads(out.read_text())
            else:
                runs[label] = {"summary": None, "violations": [f"the run exited {codes[-1]}"]}
    meta = _host_meta(args, dataclasses.replace(settings, inflight_mb=0))
    meta.pop("inflight_mb")  # per run, below
    meta["clip"] = {"bytes": len(clip), "size": "1280x720", "fps": 8, "content": "noise"}
    meta["wall_s"] = round(time.perf_counter() - started, 1)
    meta["notes"] = (
        "RSS is the whole process (bot, fakes, torch), MiB; growth = peak - just before the "
        "flood. The budget counts bot.budget's estimate (2.5x the file for a clip), not RSS. "
        "Busy refusals depend on timing: a request waits busy_wait_s for room."
    )
    # `uptime`'s load averages (1, 5, 15 min) before and after: other work skews every figure.
    meta["host_load"] = {
        "before": [round(x, 2) for x in load_before],
        "after": [round(x, 2) for x in os.getloadavg()],
    }
    print(" ".join(f"{k}={v}" for k, v in meta.items()))
    done = {k: v["summary"] for k, v in runs.items() if v.get("summary")}
    if done:
        print_video_table(done)
    device = "cuda" if args.device != "cpu" and torch.cuda.is_available() else "cpu"
    target = args.out or Path(__file__).with_name("results") / f"load-{device}-videos.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"meta": meta, "runs": runs}, indent=2) + "\n")
    print(f"wrote {target}")
    problems = [f"{k}: {p}" for k, v in runs.items() for p in v.get("violations", [])]
    for problem in problems:
        print(f"VIOLATION: {problem}", file=sys.stderr)
    return 1 if problems or any(codes) else 0


def main(argv: list[str] | None = None) -> int:
    """Run the scenario, print a table, write JSON; exit 1 if an invariant broke."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100, help="split between Telegram and Discord")
    parser.add_argument("--size", type=int, default=512, help="photo side in pixels")
    parser.add_argument("--style", default=None, help="default: webtoon, or sketch for --videos")
    parser.add_argument("--photos", type=int, default=1, help="photos each user sends at once")
    parser.add_argument("--quota", type=int, default=20, help="daily photos per user")
    parser.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for answers")
    parser.add_argument("--faults", action="store_true", help="add the fault mix (see above)")
    parser.add_argument("--out", type=Path, default=None)
    video = parser.add_argument_group("clip flood")
    video.add_argument("--videos", type=int, default=0, help="N users each send one clip at once")
    video.add_argument("--video-mb", type=float, default=19.0, help="clip size, 10**6 bytes")
    video.add_argument("--video-side", type=int, default=360, help="[video] max_side")
    video.add_argument(
        "--inflight-mb",
        type=lambda text: [int(mb) for mb in text.split(",")],
        default=None,
        help="budgets to run, MiB, comma-separated (default: the default and 65536, i.e. off)",
    )
    video.add_argument("--busy-wait", type=float, default=MemorySettings().busy_wait_s)
    video.add_argument("--clip", type=Path, default=None, help=argparse.SUPPRESS)  # one run
    args = parser.parse_args(argv)
    clips = args.videos > 0
    settings = LoadSettings(
        users=args.videos if clips else args.users,
        size=args.size,
        style=args.style or ("sketch" if clips else "webtoon"),
        photos=1 if clips else args.photos,
        quota=args.quota,
        timeout_s=args.timeout,
        faults=args.faults,
        engine={"device": args.device},
        video_mb=args.video_mb if clips else 0.0,
        video_side=args.video_side,
        inflight_mb=(args.inflight_mb or [MemorySettings().inflight_mb])[0],
        busy_wait_s=args.busy_wait,
    )
    if clips and args.faults:
        parser.error("--videos and --faults do not mix")
    if clips and args.clip is not None:
        if args.out is None:
            parser.error("--clip needs --out")
        return _video_run(args, settings)
    if clips:
        return _video_main(args, settings)
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
    meta = _host_meta(args, settings)
    meta["host_load_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
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

"""A real TelegramFrontend, Engine and quota database wired to the fake Bot API."""

from __future__ import annotations

import io
import tempfile
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data as skdata
from telegram.ext import AIORateLimiter

from bot.config import DatabaseSettings, OutputSettings, QuotaSettings
from bot.db import Database
from bot.metrics import BotMetrics
from bot.quota import QuotaService
from bot.telegram import TelegramFrontend
from engine.config import EngineConfig
from engine.engine import Engine
from engine.imageio import ImageLimits, decode_image
from engine.job import Job
from engine.styles.options import OPTION_NAMES, StyleOptions
from engine.video import VideoLimits
from tests.fakes.telegram_server import FakeTelegram

# Stand-ins registered under the real style names: instant, and each result is checkable.
TRANSFORMS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "webtoon": lambda x: 1.0 - x,
    "sketch": lambda x: x[:, [2, 1, 0]],
    "classic": lambda x: x[:, [1, 2, 0]],
}
EXPECTED: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "webtoon": lambda rgb: 255 - rgb,
    "sketch": lambda rgb: rgb[..., [2, 1, 0]],
    "classic": lambda rgb: rgb[..., [1, 2, 0]],
}


class StandInStyle:
    """A fast stand-in model; can be made to wait for a permit per batch, or to fail."""

    description = "test stand-in"
    needs_exact_size = False

    def __init__(self, name: str) -> None:
        self.name = name
        self.images = 0
        self.fail = False
        self._permits: threading.Semaphore | None = None

    def hold(self) -> None:
        """From now on each batch waits in the model until allow() lets one through."""
        self._permits = threading.Semaphore(0)

    def allow(self, batches: int = 1) -> None:
        """Let `batches` held batches finish."""
        if self._permits is not None:
            self._permits.release(batches)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        self.images += images.shape[0]
        if self._permits is not None:
            self._permits.acquire(timeout=20)
        if self.fail:
            raise RuntimeError("model exploded")
        return TRANSFORMS[self.name](images)


class TunableStandIn(StandInStyle):
    """A stand-in that honours texture and color (a ConfigurableStyle): its variants draw
    like it and record the options they ran with."""

    option_names = OPTION_NAMES

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.options_seen: list[StyleOptions] = []  # per batch a variant ran

    def with_options(self, options: StyleOptions) -> _Variant:
        return _Variant(self, options)


class _Variant:
    def __init__(self, base: TunableStandIn, options: StyleOptions) -> None:
        self.base, self.options = base, options
        self.name, self.description = base.name, base.description

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        self.base.options_seen.append(self.options)
        return self.base(images)


# Which stand-ins honour options; sketch ignores them, as the real sketch does.
TUNABLE = ("webtoon", "classic")


def stand_in_styles() -> dict[str, StandInStyle]:
    """A fresh stand-in per style name, tunable where TUNABLE says."""
    return {
        name: TunableStandIn(name) if name in TUNABLE else StandInStyle(name) for name in TRANSFORMS
    }


def record_jobs(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[Job]:
    """From now on every job handed to `engine.submit` is appended to the returned list."""
    jobs: list[Job] = []
    submit = engine.submit

    async def recording(job: Job) -> np.ndarray:
        jobs.append(job)
        return await submit(job)

    monkeypatch.setattr(engine, "submit", recording)
    return jobs


@dataclass
class Toonbot:
    """Everything a test drives or inspects."""

    fake: FakeTelegram
    quota: QuotaService
    engine: Engine
    styles: dict[str, StandInStyle]
    frontend: TelegramFrontend
    video: VideoLimits | None = None
    jobs: list[Job] = field(default_factory=list)  # every job the engine was handed

    async def restart(self) -> None:
        """Stop the frontend and start a fresh one: no state survives but the database."""
        await self.frontend.stop()
        self.frontend = make_frontend(self.fake, self.engine, self.quota, self.video)
        await self.frontend.start()

    @property
    def images_drawn(self) -> int:
        """Images the engine ran through any style."""
        return sum(style.images for style in self.styles.values())


def make_frontend(
    fake: FakeTelegram,
    engine: Engine,
    quota: QuotaService,
    video: VideoLimits | None = None,
    metrics: BotMetrics | None = None,
) -> TelegramFrontend:
    """The production frontend, pointed at the fake, with quick status updates."""
    return TelegramFrontend(
        fake.token,
        engine,
        quota,
        images=ImageLimits(),
        output=OutputSettings(),
        default_style="webtoon",
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        # The fake has no flood limits to respect; retries on 429 stay on.
        rate_limiter=AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=3),
        status_interval_s=0.02,
        video=video,
        poll_timeout_s=5,
        metrics=metrics,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "quota(**limits): QuotaSettings for the toonbot fixture")
    config.addinivalue_line(
        "markers", "database(**settings): DatabaseSettings for the toonbot fixture"
    )
    config.addinivalue_line("markers", "video(**limits): VideoLimits for the toonbot fixture")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def toonbot(
    fake: FakeTelegram,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Toonbot]:
    marker = request.node.get_closest_marker("quota")
    limits = {"daily_per_user": 20, "cooldown_s": 0, "per_chat_per_hour": 0}
    limits.update(marker.kwargs if marker else {})
    # Photos must never be written anywhere: point every temp file at a folder we inspect.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    styles = stand_in_styles()
    config = EngineConfig(device="cpu", max_batch_size=8, max_wait_ms=5.0, bucket_px=32)
    db_marker = request.node.get_closest_marker("database")
    settings = DatabaseSettings(
        sqlite_path=str(tmp_path / "quota.sqlite3"), **(db_marker.kwargs if db_marker else {})
    )
    async with Database(settings) as db, Engine(config, styles) as engine:
        quota = QuotaService(db, QuotaSettings(**limits))
        video_marker = request.node.get_closest_marker("video")
        video = VideoLimits(**video_marker.kwargs) if video_marker else None
        jobs = record_jobs(engine, monkeypatch)
        frontend = make_frontend(fake, engine, quota, video)
        await frontend.start()
        bot = Toonbot(fake, quota, engine, styles, frontend, video, jobs)
        try:
            yield bot
        finally:
            for style in styles.values():
                style.allow(100)
            await bot.frontend.stop()
    assert not list(scratch.iterdir()), "something was written to a temp file"


def photo_bytes(width: int = 96, height: int = 64, fmt: str = "JPEG") -> bytes:
    """A small real photo (scikit-image's astronaut), encoded like a phone would."""
    buf = io.BytesIO()
    astronaut = skdata.astronaut()  # type: ignore[no-untyped-call]
    Image.fromarray(astronaut).resize((width, height)).save(buf, format=fmt)
    return buf.getvalue()


def expected_toon(source: bytes, style: str) -> np.ndarray:
    """What the stand-in style makes of `source` after the bot's own decoding."""
    return EXPECTED[style](decode_image(source))


def decode_upload(data: bytes) -> np.ndarray:
    """The pixels of an image the bot uploaded."""
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))

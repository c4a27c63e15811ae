"""What the bot tests of both platforms share: stand-in styles, test photos, and the parts of a
running bot behind its frontend (engine, quota database, recorded jobs).

The fixtures that build these live in tests/bot/conftest.py; each platform's conftest adds its
fake server and frontend.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data as skdata

from bot.config import OutputSettings
from bot.metrics import BotMetrics
from bot.quota import QuotaService
from engine.engine import Engine
from engine.imageio import ImageLimits, decode_image
from engine.job import Job
from engine.styles.options import OPTION_NAMES, StyleOptions

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


# -- photos ------------------------------------------------------------------------------------


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


# -- a running bot -----------------------------------------------------------------------------


class Frontend(Protocol):
    """What the harness needs of a platform frontend."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def frontend_kwargs(
    token: str, engine: Engine, quota: QuotaService, metrics: BotMetrics | None
) -> dict[str, Any]:
    """What a test frontend of either platform is built with: its token, engine and quota, the
    default image limits and output, webtoon as the default style, and quick status updates."""
    return {
        "token": token,
        "engine": engine,
        "quota": quota,
        "images": ImageLimits(),
        "output": OutputSettings(),
        "default_style": "webtoon",
        "status_interval_s": 0.02,
        "metrics": metrics,
    }


FakeT = TypeVar("FakeT")
FrontendT = TypeVar("FrontendT", bound=Frontend)


@dataclass
class Backend:
    """Everything behind a frontend: the quota service, the engine and its stand-in styles,
    and every job the engine was handed."""

    quota: QuotaService
    engine: Engine
    styles: dict[str, StandInStyle]
    jobs: list[Job] = field(default_factory=list)

    @contextlib.asynccontextmanager
    async def running(self, bot: Rig[FakeT, FrontendT]) -> AsyncIterator[None]:
        """Start `bot`'s frontend; on the way out release every held batch, then stop it."""
        await bot.frontend.start()
        try:
            yield
        finally:
            for style in self.styles.values():
                style.allow(100)
            await bot.frontend.stop()


@dataclass
class Rig(Generic[FakeT, FrontendT]):
    """Everything a test drives or inspects: a platform's fake, the backend, and the frontend."""

    fake: FakeT
    quota: QuotaService
    engine: Engine
    styles: dict[str, StandInStyle]
    frontend: FrontendT
    jobs: list[Job] = field(default_factory=list)  # every job the engine was handed

    def fresh_frontend(self) -> FrontendT:
        """A new frontend like the first (the platform's conftest builds it)."""
        raise NotImplementedError

    async def restart(self) -> None:
        """Stop the frontend and start a fresh one: no state survives but the database."""
        await self.frontend.stop()
        self.frontend = self.fresh_frontend()
        await self.frontend.start()

    @property
    def images_drawn(self) -> int:
        """Images the engine ran through any style."""
        return sum(style.images for style in self.styles.values())

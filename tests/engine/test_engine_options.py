"""Per-request StyleOptions through the engine: batch keys, the worker's variants, videos."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest
import torch

from engine.config import EngineConfig
from engine.engine import Engine
from engine.job import BatchKey, Job
from engine.styles.options import StyleOptions
from engine.video import toon_video
from engine.worker import InferenceWorker
from tests.engine.test_engine import RecordingStyle, config, img
from tests.fakes import clips


class TunableStyle(RecordingStyle):
    """A ConfigurableStyle double: darkens by `texture`, records the options of every batch."""

    option_names: tuple[str, ...] = ("texture", "color")

    def __init__(self, name: str = "tune", texture: float = 0.0, color: float = 0.0) -> None:
        super().__init__(name)
        self.texture, self.color = texture, color
        self.ran: list[tuple[float, float]] = []  # (texture, color) of each batch, shared
        self._lock = threading.Lock()
        self._variants: dict[StyleOptions, TunableStyle] = {}

    def with_options(self, options: StyleOptions) -> TunableStyle:
        texture = self.texture if options.texture is None else options.texture
        color = self.color if options.color is None else options.color
        with self._lock:
            variant = self._variants.get(options)
            if variant is None:
                variant = TunableStyle(self.name, texture, color)
                variant.ran, variant.batches = self.ran, self.batches
                self._variants[options] = variant
        return variant

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        self.ran.append((self.texture, self.color))
        return (super().__call__(images) - self.texture * 0.4).clamp(0.0, 1.0)


class TextureOnly(TunableStyle):
    """Honours texture only, like manhwa."""

    option_names = ("texture",)


async def test_jobs_with_other_options_never_share_a_batch() -> None:
    style = TunableStyle()
    soft, busy = StyleOptions(texture=0.2), StyleOptions(texture=0.8)
    async with Engine(config(max_wait_ms=150.0, max_batch_size=8), {"tune": style}) as engine:
        outs = await asyncio.gather(
            engine.submit(Job(img(1), "tune")),
            engine.submit(Job(img(2), "tune", options=soft)),
            engine.submit(Job(img(3), "tune", options=busy)),
            engine.submit(Job(img(4), "tune", options=StyleOptions(texture=0.2))),
            engine.submit(Job(img(5), "tune")),
        )
    assert sorted(style.batches) == [[1, 5], [2, 4], [3]]
    assert sorted(set(style.ran)) == [(0.0, 0.0), (0.2, 0.0), (0.8, 0.0)]
    # Each result was drawn with its own options: 255 - marker - texture * 0.4 * 255.
    assert [int(o[0, 0, 0]) for o in outs] == [254, 233, 170, 231, 250]


async def test_options_a_style_ignores_do_not_split_its_batches() -> None:
    plain, manhwa = RecordingStyle("plain"), TextureOnly("manhwa")
    styles = {"plain": plain, "manhwa": manhwa}
    async with Engine(config(max_wait_ms=150.0, max_batch_size=8), styles) as engine:
        assert engine.option_names("plain") == ()
        assert engine.option_names("manhwa") == ("texture",)
        await asyncio.gather(
            engine.submit(Job(img(1), "plain", options=StyleOptions(texture=0.3))),
            engine.submit(Job(img(2), "plain")),
            engine.submit(Job(img(3), "manhwa", options=StyleOptions(texture=0.3, color=1.0))),
            engine.submit(Job(img(4), "manhwa", options=StyleOptions(texture=0.3))),
            engine.submit(Job(img(5), "manhwa", options=StyleOptions(color=0.1))),
        )
    assert plain.batches == [[1, 2]]
    # Colour is not a manhwa option: 3 and 4 are the same request, 5 a default one.
    assert sorted(manhwa.batches) == [[3, 4], [5]]
    assert sorted(manhwa.ran) == [(0.0, 0.0), (0.3, 0.0)]


async def test_batch_key_holds_the_honoured_options() -> None:
    style = TunableStyle()
    style.gate.clear()  # the first job sits in the model; the second waits in the queue
    async with Engine(config(max_batch_size=1), {"tune": style}) as engine:
        first = asyncio.create_task(engine.submit(Job(img(1), "tune")))
        while not style.batches:
            await asyncio.sleep(0.005)
        options = StyleOptions(texture=0.25, color=0.75)
        second = asyncio.create_task(engine.submit(Job(img(2), "tune", options=options)))
        await asyncio.sleep(0.05)
        [waiting] = engine.waiting()
        assert waiting.key == BatchKey("tune", 32, 32, options)
        style.gate.set()
        await asyncio.gather(first, second)


async def test_bad_options_are_refused_before_queueing() -> None:
    async with Engine(config(), {"rec": RecordingStyle()}) as engine:
        with pytest.raises(TypeError):
            await engine.submit(Job(img(1), "rec", options={"texture": 0.2}))  # type: ignore[arg-type]
        assert engine.queue_depth == 0


def test_worker_batch_equals_single_with_options() -> None:
    from engine.styles.webtoon import WebtoonStyle

    webtoon = WebtoonStyle(person_aware=False)
    worker = InferenceWorker(EngineConfig(device="cpu", split_cpu_batches=False), {"w": webtoon})
    rng = np.random.default_rng(3)
    # One size: padding alone moves this style's pixels near the edges, options or not.
    images = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(2)]
    images.append(np.full((48, 64, 3), 90, dtype=np.uint8))
    options = StyleOptions(texture=0.2, color=0.9)
    variant = worker.resolve("w", options)
    assert isinstance(variant, WebtoonStyle) and variant is not webtoon
    assert (variant.texture, variant.color) == (0.2, 0.9)
    assert worker.resolve("w", StyleOptions()) is webtoon
    batched = worker.run("w", images, (48, 64), options=options)
    for image, out in zip(images, batched, strict=True):
        [alone] = worker.run("w", [image], image.shape[:2], options=options)
        assert np.abs(out.astype(int) - alone.astype(int)).max() <= 1


async def test_every_video_frame_carries_the_options() -> None:
    style = TunableStyle()
    options = StyleOptions(texture=0.4, color=0.6)
    submitted: list[StyleOptions] = []
    async with Engine(config(max_wait_ms=5.0), {"tune": style}) as engine:
        submit = engine.submit

        async def spy(job: Job) -> np.ndarray:
            submitted.append(job.options)
            return await submit(job)

        engine.submit = spy  # type: ignore[method-assign]
        result = await toon_video(
            engine, clips.make_clip(6, audio=False), "tune", "u", stabilize=False, options=options
        )
    assert result.frames == 6
    assert submitted == [options] * 6
    assert set(style.ran) == {(0.4, 0.6)}

"""Job.analysis: from the caller (and the video path's tracker) through the engine to prepare()."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import numpy as np
import pytest
import torch

from engine.analysis import Face, PersonAnalysis
from engine.analysis.landmarks import MESH_POINTS
from engine.config import EngineConfig
from engine.engine import Engine
from engine.job import Job
from engine.styles.base import AnalyzingStyle, GuidedStyle
from engine.video import toon_video
from engine.worker import InferenceWorker
from tests.engine.test_video import frames, make_clip

Analyses = Sequence[PersonAnalysis | None] | None


def _square_x(image: np.ndarray) -> int:
    """Left edge of the red square of tests.engine.test_video's frames."""
    band = image[40:70].astype(np.int16)  # the rows the square spans
    near = np.abs(band - np.array([230, 40, 40])).max(axis=2) < 60
    return int(np.nonzero(near.sum(axis=0) >= 25)[0][0])


class SquareAnalyzer:
    """Finds the red square as a 'face' with jittery landmarks; records what it saw, in order."""

    def __init__(self) -> None:
        self.seen: list[int] = []
        self.raw: dict[int, np.ndarray] = {}
        self.threads: set[str] = set()

    def analyze(self, image: np.ndarray) -> PersonAnalysis:
        h, w = image.shape[:2]
        x = _square_x(image)
        self.seen.append(x)
        self.threads.add(threading.current_thread().name)
        rng = np.random.default_rng(x)
        pts = rng.uniform(0, 30, (MESH_POINTS, 2)) + np.array([x, 40.0])
        pts += rng.normal(0, 1.5, pts.shape)
        pts = pts.astype(np.float32)
        self.raw[x] = pts
        mask = np.zeros((h, w), np.float32)
        mask[:, : w // 2] = 1.0
        return PersonAnalysis(mask, (Face((*pts.min(axis=0), *pts.max(axis=0)), pts),))


class MaskStyle:
    """A guided style whose guide is the person mask: darkens people; records prepare() calls."""

    name = "masked"
    description = "test double"
    needs_exact_size = False

    def __init__(self, analyzer: SquareAnalyzer | None = None) -> None:
        self._analyzer = analyzer
        self.calls: list[list[PersonAnalysis | None] | None] = []
        self.lock = threading.Lock()

    def analyzer(self) -> SquareAnalyzer | None:
        return self._analyzer

    def prepare(self, images: Sequence[np.ndarray], analyses: Analyses = None) -> list[np.ndarray]:
        with self.lock:
            self.calls.append(None if analyses is None else list(analyses))
        given = list(analyses) if analyses is not None else [None] * len(images)
        out = []
        for image, known in zip(images, given, strict=True):
            analysis = known
            if analysis is None:
                h, w = image.shape[:2]
                analysis = (
                    self._analyzer.analyze(image)
                    if self._analyzer is not None
                    else PersonAnalysis.empty(h, w)
                )
            out.append(analysis.person_mask[None].astype(np.float32))
        return out

    def __call__(self, images: torch.Tensor, guides: torch.Tensor | None = None) -> torch.Tensor:
        return images if guides is None else images * (1.0 - 0.5 * guides[:, :1])


class PlainStyle:
    name = "plain"
    description = "test double"
    needs_exact_size = False

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        return images


def _config(**kw: object) -> EngineConfig:
    base: dict[str, object] = {"device": "cpu", "max_batch_size": 4, "max_wait_ms": 20.0}
    base.update(kw)
    return EngineConfig(**base)  # type: ignore[arg-type]


def _image(seed: int, h: int = 48, w: int = 64) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _half_mask(h: int, w: int, left: bool) -> PersonAnalysis:
    mask = np.zeros((h, w), np.float32)
    mask[:, : w // 2] = 1.0
    return PersonAnalysis(mask if left else 1.0 - mask, ())


def test_the_fakes_fit_the_protocols() -> None:
    assert isinstance(MaskStyle(), AnalyzingStyle)
    assert isinstance(MaskStyle(), GuidedStyle)
    assert not isinstance(PlainStyle(), GuidedStyle)


@pytest.mark.parametrize("split", [False, True])
async def test_a_jobs_analysis_reaches_prepare(split: bool) -> None:
    style = MaskStyle()
    given = _half_mask(48, 64, left=True)
    async with Engine(_config(split_cpu_batches=split), {"masked": style}) as engine:
        with_it, without = await asyncio.gather(
            engine.submit(Job(_image(0), "masked", analysis=given)),
            engine.submit(Job(_image(1), "masked")),
        )
        alone = await engine.submit(Job(_image(1), "masked"))
    received = [a for call in style.calls if call is not None for a in call]
    assert any(a is given for a in received)
    assert all(a is given or a is None for a in received)
    # The analysis was used: the left half (the "person") is darkened, the right half not.
    image = _image(0).astype(np.float64)
    assert np.abs(with_it[:, 32:] - image[:, 32:]).max() <= 1
    assert np.abs(with_it[:, :32] - image[:, :32] * 0.5).max() <= 1
    # Jobs without one are prepared from the image alone, as before.
    assert np.array_equal(without, alone) and np.array_equal(alone, _image(1))
    assert None in style.calls


def test_batched_analyses_give_each_image_its_result_alone() -> None:
    style = MaskStyle()
    worker = InferenceWorker(_config(split_cpu_batches=False), {"masked": style})
    images = [_image(2, 40, 50), _image(3, 64, 64)]
    analyses = [_half_mask(40, 50, left=True), _half_mask(64, 64, left=False)]
    batched = worker.run("masked", images, (64, 64), analyses)
    for image, analysis, out in zip(images, analyses, batched, strict=True):
        (single,) = worker.run("masked", [image], image.shape[:2], [analysis])
        assert np.array_equal(out, single)
    assert style.calls[0] == analyses
    with pytest.raises(ValueError, match="analyses"):
        worker.run("masked", images, (64, 64), analyses[:1])


async def test_an_analysis_of_another_size_is_refused() -> None:
    async with Engine(_config(), {"masked": MaskStyle()}) as engine:
        with pytest.raises(ValueError, match="analysis"):
            await engine.submit(Job(_image(0), "masked", analysis=_half_mask(10, 10, True)))


async def test_the_engine_lends_an_analyzing_styles_analyzer_only() -> None:
    analyzer = SquareAnalyzer()
    styles = {"masked": MaskStyle(analyzer), "bare": MaskStyle(), "plain": PlainStyle()}
    async with Engine(_config(), styles) as engine:  # type: ignore[arg-type]
        assert engine.analyzer_for("masked") is analyzer
        assert engine.analyzer_for("bare") is None
        assert engine.analyzer_for("plain") is None
        assert engine.analyzer_for("missing") is None


async def test_video_frames_carry_smoothed_analyses_in_order() -> None:
    analyzer = SquareAnalyzer()
    style = MaskStyle(analyzer)
    n = 12
    async with Engine(_config(), {"masked": style}) as engine:
        result = await toon_video(engine, make_clip(n, audio=False), "masked", "u1")
    assert result.frames == n
    received = [a for call in style.calls for a in (call or [None])]
    assert len(received) == n and all(a is not None for a in received)
    # Each frame analyzed once, in decode order, on the video's own analysis thread.
    assert analyzer.seen == sorted(analyzer.seen) and len(analyzer.seen) == n
    assert analyzer.threads == {"toonbot-video-analysis_0"}
    expected_x = [_square_x(f) for f in frames(n)]
    assert analyzer.seen == expected_x
    # The first frame passes through the filter, later ones are smoothed (not the raw points).
    firsts = [a for a in received if a is not None]
    first_pts = firsts[0].faces[0].landmarks
    assert first_pts is not None
    raw_first = analyzer.raw[analyzer.seen[0]]
    assert np.array_equal(first_pts, raw_first)
    smoothed = np.stack([a.faces[0].landmarks for a in firsts]).astype(np.float64)
    raw = np.stack([analyzer.raw[x] for x in analyzer.seen]).astype(np.float64)
    assert (np.abs(smoothed - raw).mean(axis=(1, 2))[1:] > 0).all()
    # Steadier from frame to frame than what the analyzer saw.
    assert np.abs(np.diff(smoothed, axis=0)).mean() < 0.8 * np.abs(np.diff(raw, axis=0)).mean()


class RemoteLike:
    """An engine surface without analyzer_for (as RayEngine): frames analyze themselves."""

    def __init__(self, engine: Engine) -> None:
        self.config = engine.config
        self.submit = engine.submit


async def test_video_through_an_engine_without_an_analyzer_to_lend() -> None:
    analyzer = SquareAnalyzer()
    style = MaskStyle(analyzer)
    async with Engine(_config(), {"masked": style}) as engine:
        remote = RemoteLike(engine)
        result = await toon_video(remote, make_clip(6, audio=False), "masked", "u1")  # type: ignore[arg-type]
    assert result.frames == 6
    assert all(call is None for call in style.calls)
    assert len(analyzer.seen) == 6  # in prepare, on the inference thread
    assert "toonbot-video-analysis_0" not in analyzer.threads


@pytest.mark.parametrize("bad", [0, 257, True, 3.0])
def test_max_faces_setting_is_validated(bad: object) -> None:
    assert EngineConfig().max_faces == 32
    assert EngineConfig(max_faces=256).max_faces == 256
    with pytest.raises(ValueError, match="max_faces"):
        EngineConfig(max_faces=bad)  # type: ignore[arg-type]

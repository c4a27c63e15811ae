"""Stylization pipelines: the Style contract, the registry, the filters, and the webtoon look."""

from __future__ import annotations

import logging
from collections.abc import Callable

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage import color, data, feature

from engine import analysis
from engine.analysis import PersonAnalysis, build_analyzer, draw_part_masks
from engine.config import EngineConfig
from engine.styles import STYLE_NAMES, Style, build_styles, describe_styles
from engine.styles import filters as flt
from engine.styles.classic import ClassicStyle, cartoonify_opencv
from engine.styles.sketch import SketchStyle
from engine.styles.webtoon import PRESENT, WebtoonStyle
from engine.worker import InferenceWorker

# (row, col) box of the astronaut's cheeks and forehead, as fractions of the image side.
FACE = (slice(0.2, 0.31), slice(0.37, 0.49))


def _photo(load: Callable[[], np.ndarray], size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(load()[..., :3], size, interpolation=cv2.INTER_AREA)


def _to_batch(*images: np.ndarray) -> torch.Tensor:
    return torch.stack([torch.from_numpy(im).permute(2, 0, 1) for im in images]).float() / 255


def _to_image(t: torch.Tensor) -> np.ndarray:
    return t.permute(1, 2, 0).numpy()


def _run(style: Style, *images: np.ndarray) -> torch.Tensor:
    with torch.inference_mode():
        return style(_to_batch(*images))


@pytest.fixture(scope="module")
def styles() -> dict[str, Style]:
    return build_styles(torch.device("cpu"))


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return _photo(data.astronaut, (320, 320))


@pytest.fixture(scope="module")
def coffee() -> np.ndarray:
    return _photo(data.coffee, (320, 320))


@pytest.fixture(scope="module")
def rocket() -> np.ndarray:
    return _photo(data.rocket, (384, 256))


@pytest.fixture(scope="module")
def webtoon_astronaut(styles: dict[str, Style], astronaut: np.ndarray) -> np.ndarray:
    return _to_image(_run(styles["webtoon"], astronaut)[0])


# --- registry ---------------------------------------------------------------------------------


def test_registry_builds_every_style_in_order(styles: dict[str, Style]) -> None:
    assert STYLE_NAMES == ("webtoon", "manhwa", "sketch", "classic")
    assert tuple(styles) == STYLE_NAMES
    for name, style in styles.items():
        assert isinstance(style, Style)
        assert style.name == name


def test_describe_styles_gives_one_line_each() -> None:
    described = describe_styles()
    assert tuple(described) == STYLE_NAMES
    for text in described.values():
        assert text and "\n" not in text


# --- the Style contract, for every style ------------------------------------------------------


@pytest.mark.parametrize("name", STYLE_NAMES)
def test_output_contract_and_no_cross_talk_in_a_batch(
    styles: dict[str, Style], name: str, astronaut: np.ndarray, coffee: np.ndarray
) -> None:
    style = styles[name]
    batch = _to_batch(astronaut, coffee)
    before = batch.clone()
    with torch.inference_mode():
        out = style(batch)
        alone = [style(batch[i : i + 1]) for i in range(2)]
    assert out.shape == batch.shape
    assert out.dtype == torch.float32
    assert torch.isfinite(out).all()
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert torch.equal(batch, before), "the input batch was modified"
    for i in range(2):
        assert (out[i] - alone[i][0]).abs().max() < 1e-4


@pytest.mark.parametrize("name", STYLE_NAMES)
@pytest.mark.parametrize("size", [(97, 131), (131, 97), (17, 23), (2, 50), (1, 1)])
def test_odd_and_small_sizes(styles: dict[str, Style], name: str, size: tuple[int, int]) -> None:
    h, w = size
    cat, cup = _photo(data.chelsea, (w, h)), _photo(data.coffee, (w, h))
    out = _run(styles[name], cat, cup)
    assert out.shape == (2, 3, h, w)
    assert torch.isfinite(out).all()
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert (out[1] - _run(styles[name], cup)[0]).abs().max() < 1e-4


@pytest.mark.parametrize("name", STYLE_NAMES)
def test_channels_last_input_gives_the_same_result(
    styles: dict[str, Style], name: str, rocket: np.ndarray
) -> None:
    # The worker hands over permuted (channels-last) views of HxWx3 arrays.
    batch = _to_batch(rocket)
    with torch.inference_mode():
        plain = styles[name](batch.contiguous())
        permuted = styles[name](batch.contiguous(memory_format=torch.channels_last))
    assert (plain - permuted).abs().max() < 1e-5


def test_classic_is_exactly_the_opencv_recipe(rocket: np.ndarray) -> None:
    out = _run(ClassicStyle(), rocket)[0]
    ours = (out.permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()
    assert np.array_equal(ours, cartoonify_opencv(rocket))


def test_sketch_is_dark_pencil_on_white_paper(astronaut: np.ndarray) -> None:
    out = _to_image(_run(SketchStyle(), astronaut)[0])
    gray = out.mean(axis=2)
    assert np.median(gray) > 0.75, "paper should be mostly white"
    assert 0.01 < np.mean(gray < 0.45) < 0.3, "some, not all, of it should be pencil"
    assert np.ptp(out, axis=2).max() < 0.06, "pencil on paper is near-gray"


# --- the webtoon look ---------------------------------------------------------------------------


def _distinct_colours(rgb: np.ndarray) -> int:
    q = np.clip(rgb * 31 + 0.5, 0, 31).astype(np.int32)
    return len(np.unique(q[..., 0] * 1024 + q[..., 1] * 32 + q[..., 2]))


def _top_colour_share(rgb: np.ndarray, k: int = 64) -> float:
    q = np.clip(rgb * 31 + 0.5, 0, 31).astype(np.int32)
    _, counts = np.unique(q[..., 0] * 1024 + q[..., 1] * 32 + q[..., 2], return_counts=True)
    return float(np.sort(counts)[::-1][:k].sum() / counts.sum())


def _gray(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(color.rgb2gray(rgb), dtype=np.float64)


def test_webtoon_flattens_colour(astronaut: np.ndarray, webtoon_astronaut: np.ndarray) -> None:
    photo = astronaut / 255.0
    # Measured: about 0.71 of the photo's 5-bit colours (the painted backdrop keeps its soft
    # gradients), and 64 colours cover ~0.61 vs ~0.49.
    assert _distinct_colours(webtoon_astronaut) < 0.8 * _distinct_colours(photo)
    assert _top_colour_share(webtoon_astronaut) > _top_colour_share(photo) + 0.09


def test_webtoon_smooths_inside_flat_regions(styles: dict[str, Style], coffee: np.ndarray) -> None:
    photo = coffee / 255.0
    out = _to_image(_run(styles["webtoon"], coffee)[0])
    # Flat = the 40% of pixels where the blurred photo barely changes.
    blurred = cv2.GaussianBlur(_gray(photo), (0, 0), 2.0)
    slope = np.hypot(*np.gradient(blurred))
    flat = slope < np.quantile(slope, 0.4)

    def variation(rgb: np.ndarray) -> float:
        dy = np.abs(np.diff(rgb, axis=0))[:, :-1].sum(axis=-1)
        dx = np.abs(np.diff(rgb, axis=1))[:-1].sum(axis=-1)
        return float((dx + dy)[flat[:-1, :-1]].mean())

    # Measured ratio ~0.3.
    assert variation(out) < 0.6 * variation(photo)


def _canny(gray: np.ndarray, sigma: float, low: float | None, high: float | None) -> np.ndarray:
    edges = feature.canny(gray, sigma=sigma, low_threshold=low, high_threshold=high)  # type: ignore[no-untyped-call]
    return np.asarray(edges, dtype=bool)


def test_webtoon_keeps_the_main_edges(astronaut: np.ndarray, webtoon_astronaut: np.ndarray) -> None:
    strong = _canny(_gray(astronaut / 255.0), 2.0, 0.1, 0.2)
    found = _canny(_gray(webtoon_astronaut), 1.0, None, None)
    near = cv2.dilate(found.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    recall = (near & strong).sum() / strong.sum()
    # Measured ~0.9.
    assert strong.sum() > 1000
    assert recall > 0.75


def test_webtoon_draws_dark_outlines_and_is_no_identity(
    astronaut: np.ndarray, webtoon_astronaut: np.ndarray
) -> None:
    photo = astronaut / 255.0
    assert np.abs(webtoon_astronaut - photo).mean() > 0.03
    # Ink: clearly darker than the photo at a few percent of the pixels.
    darker = _gray(photo) - _gray(webtoon_astronaut) > 0.25
    assert 0.01 < darker.mean() < 0.2


def test_webtoon_keeps_skin_tone(astronaut: np.ndarray, webtoon_astronaut: np.ndarray) -> None:
    side = astronaut.shape[0]
    rows = slice(int(FACE[0].start * side), int(FACE[0].stop * side))
    cols = slice(int(FACE[1].start * side), int(FACE[1].stop * side))
    before = color.rgb2lab((astronaut[rows, cols] / 255.0).mean(axis=(0, 1))[None, None])[0, 0]
    after = color.rgb2lab(webtoon_astronaut[rows, cols].mean(axis=(0, 1))[None, None])[0, 0]
    # Measured: L 73 -> 68, a/b within ~2; a whitewash would raise L and drop a/b.
    assert after[0] < before[0] + 3
    assert np.linalg.norm(after - before) < 10
    hue = np.degrees(np.arctan2(after[2], after[1]) - np.arctan2(before[2], before[1]))
    assert abs(hue) < 8
    assert np.hypot(after[1], after[2]) > 0.85 * np.hypot(before[1], before[2])


def test_webtoon_parameters_are_keywords_and_checked() -> None:
    with pytest.raises(TypeError):
        WebtoonStyle(256)  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        WebtoonStyle(levels=0)
    with pytest.raises(ValueError):
        WebtoonStyle(ink_edges=(0.6, 0.2))


def test_webtoon_without_ink_has_no_outlines(
    astronaut: np.ndarray, webtoon_astronaut: np.ndarray
) -> None:
    inkless = _to_image(_run(WebtoonStyle(line_strength=0.0), astronaut)[0])
    dark = _gray(inkless) - _gray(webtoon_astronaut) > 0.25
    assert dark.mean() > 0.01, "the default draws lines that the inkless variant lacks"


def test_webtoon_looks_the_same_at_twice_the_size(styles: dict[str, Style]) -> None:
    small = _photo(data.astronaut, (256, 256))
    large = _photo(data.astronaut, (512, 512))
    out_small = _run(styles["webtoon"], small)
    out_large = F.avg_pool2d(_run(styles["webtoon"], large), 2)
    # Radii live on fixed working grids, so the pictures agree up to resampling.
    assert (out_small - out_large).abs().mean() < 0.04


# --- filters --------------------------------------------------------------------------------


def test_box_filter_matches_brute_force() -> None:
    x = torch.rand(2, 3, 19, 26)
    for r in (1, 3, 8):
        ref = torch.empty_like(x)
        for i in range(19):
            for j in range(26):
                ref[..., i, j] = x[..., max(0, i - r) : i + r + 1, max(0, j - r) : j + r + 1].mean(
                    dim=(-2, -1)
                )
        assert (flt.box_filter(x, r) - ref).abs().max() < 1e-5


def test_box_filter_keeps_half_precision_inputs_accurate() -> None:
    x = torch.rand(1, 1, 300, 300)
    ref = flt.box_filter(x, 4)
    half = flt.box_filter(x.half(), 4)
    assert half.dtype == torch.float16
    assert (half.float() - ref).abs().max() < 2e-3


def test_box_filter_cpu_fast_path_matches_the_prefix_sum_one() -> None:
    x = torch.rand(2, 3, 40, 33)
    for r in (1, 4, 30):
        # The prefix-sum path that CUDA uses.
        ref, scratch = x.clone(), torch.empty_like(x)
        flt._box_mean_1d(ref, r, -2, scratch)
        flt._box_mean_1d(ref, r, -1, scratch)
        assert (flt.box_filter(x, r) - ref).abs().max() < 1e-5
        assert (flt.box_filter(x.clone(), r, inplace=True) - ref).abs().max() < 1e-5


def test_upsample_region_is_a_window_of_the_full_enlargement() -> None:
    gen = torch.Generator().manual_seed(1)
    for factor, size in ((2, (61, 50)), (4, (128, 100)), (3, (40, 41))):
        x = torch.rand(1, 2, -(-size[0] // factor), -(-size[1] // factor), generator=gen)
        full = flt.upsample(x, factor, size)
        for rows, cols in (((0, 9), (5, 50)), ((17, size[0]), (0, 1)), ((3, 4), (30, 47))):
            window = flt.upsample_region(x, factor, size, rows, cols)
            expected = full[..., rows[0] : rows[1], cols[0] : cols[1]]
            assert window.shape == expected.shape
            assert (window - expected).abs().max() < 1e-5


@pytest.mark.parametrize("shape", [(2, 3, 64, 80), (1, 2, 3, 4)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_binomial_blur_matches_its_convolution(shape: tuple[int, ...], dtype: torch.dtype) -> None:
    # float32 on the CPU runs OpenCV's separable filter, float64 the pair sums; 3 x 4 is
    # narrower than the 5 taps, so the replicated border is all there is.
    x = torch.rand(shape, dtype=torch.float64)
    taps = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0], dtype=torch.float64) / 16  # two passes
    kernel = (taps[:, None] * taps[None, :]).view(1, 1, 5, 5)
    n, c, h, w = shape
    padded = F.pad(x.reshape(n * c, 1, h, w), (2, 2, 2, 2), mode="replicate")
    ref = F.conv2d(padded, kernel).reshape(shape)
    got = flt.binomial_blur(x.to(dtype), 2)
    assert got.dtype == dtype
    assert (got.double() - ref).abs().max() < 1e-5


def test_gaussian_blur_preserves_mean_and_smooths() -> None:
    x = torch.rand(1, 2, 40, 50)
    y = flt.gaussian_blur(x, 1.5)
    assert y.shape == x.shape
    assert abs(y.mean().item() - x.mean().item()) < 0.01
    assert y.std() < 0.5 * x.std()


def test_guided_filter_keeps_a_step_and_flattens_noise() -> None:
    step = torch.zeros(1, 1, 64, 64)
    step[..., 32:, :] = 1.0
    noisy = step + 0.02 * torch.randn(1, 1, 64, 64, generator=torch.Generator().manual_seed(0))
    out = flt.guided_filter(noisy, noisy, 4, 0.01)
    assert out[..., 5:27, :].std() < 0.5 * noisy[..., 5:27, :].std()
    # The step itself stays a step: one pixel either side of it is still ~0 and ~1.
    assert out[..., 30, :].mean() < 0.1 and out[..., 33, :].mean() > 0.9
    assert (flt.self_guided_filter(noisy, 4, 0.01) - out).abs().max() < 1e-4


def test_fast_guided_filter_approximates_the_full_one() -> None:
    guide = _to_batch(_photo(data.astronaut, (256, 256))).mean(dim=1, keepdim=True)
    full = flt.guided_filter(guide, guide, 8, 1e-2)
    fast = flt.fast_guided_filter(guide, guide, 8, 1e-2, 4)
    assert (fast - full).abs().mean() < 0.02


def test_ycbcr_round_trip() -> None:
    rgb = torch.rand(2, 3, 8, 9)
    ycc = flt.rgb_to_ycbcr(rgb)
    assert (flt.ycbcr_to_rgb(ycc) - rgb).abs().max() < 1e-5
    assert (ycc[:, :1] - flt.rgb_to_luma(rgb)).abs().max() < 1e-6


def test_downsample_then_upsample_stay_aligned() -> None:
    ramp = torch.arange(37, dtype=torch.float32).view(1, 1, 1, 37).expand(1, 1, 10, 37)
    small = flt.downsample(ramp, 4)
    assert small.shape == (1, 1, 3, 10)
    big = flt.upsample(small, 4, (10, 37))
    assert big.shape == ramp.shape
    # A linear ramp survives box-down / bilinear-up exactly away from the ragged last block.
    assert (big[..., 2:33] - ramp[..., 2:33]).abs().max() < 1e-4


def test_kmeans_palette_finds_the_colours_of_a_two_colour_image() -> None:
    x = torch.zeros(2, 3, 16, 16)
    x[0, :, :, 8:] = 1.0
    x[1, 0] = 0.3
    x[1, :, 4:, :] = 0.8
    cent = flt.kmeans_palette(x, 2, 5)
    flat = flt.soft_palette_map(x, cent, 1e-3)
    assert (flat - x).abs().max() < 1e-3


# --- person-aware webtoon -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def astronaut_analysis(astronaut: np.ndarray) -> PersonAnalysis:
    analyzer = build_analyzer()
    assert analyzer is not None
    result = analyzer.analyze(astronaut)
    assert len(result.faces) == 1
    return result


def _region_top_share(rgb: np.ndarray, region: np.ndarray, k: int = 32) -> float:
    q = np.clip(rgb[region] * 31 + 0.5, 0, 31).astype(np.int32)
    _, counts = np.unique(q[:, 0] * 1024 + q[:, 1] * 32 + q[:, 2], return_counts=True)
    return float(np.sort(counts)[::-1][:k].sum() / counts.sum())


def test_person_aware_paints_the_background_and_keeps_the_person(
    astronaut: np.ndarray, webtoon_astronaut: np.ndarray, astronaut_analysis: PersonAnalysis
) -> None:
    mask = astronaut_analysis.person_mask
    person, background = mask > 0.95, mask < 1e-3
    assert person.mean() > 0.3 and background.mean() > 0.3
    whole = _to_image(_run(WebtoonStyle(person_aware=False), astronaut)[0])
    # Away from the person the picture is the painted scenery of the whole image (not exactly:
    # the warped face moves whole-image statistics a little, e.g. the palette)...
    far = cv2.erode(background.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    gap = np.abs(webtoon_astronaut[far] - whole[far]).max(axis=-1)
    assert gap.mean() < 1.0 / 255.0  # measured ~0.45 / 255
    # ... while the person gets the person's own look (the cel pass, drawn face).
    assert np.abs(webtoon_astronaut[person] - whole[person]).mean() > 5.0 / 255.0


def _gradient(rgb: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(np.float32(rgb), cv2.COLOR_RGB2GRAY)
    return np.hypot(cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1))


def test_faces_left_undrawn_keep_the_eyes_alive(
    astronaut: np.ndarray, astronaut_analysis: PersonAnalysis
) -> None:
    # Faces the portrait renderer cannot draw keep the photo's own eye detail.
    undrawn = _to_image(_run(WebtoonStyle(portrait=False), astronaut)[0])
    eyes = draw_part_masks(astronaut_analysis.faces, *astronaut.shape[:2], parts=("eyes",)) > 0.5
    flat = _to_image(_run(WebtoonStyle(portrait=False, detail_strength=0.0), astronaut)[0])
    photo_edges = _gradient(astronaut / 255.0)[eyes]

    def kept(out: np.ndarray) -> float:
        # Raw edge energy would reward ink; the photo's own eye edges (iris, lid, catch-light)
        # surviving is what keeps eyes from freezing.
        return float(np.corrcoef(photo_edges, _gradient(out)[eyes])[0, 1])

    # Measured: ~0.88 with the photo's detail given back.
    assert kept(undrawn) > kept(flat) + 0.05
    assert kept(undrawn) > 0.8


def test_person_aware_through_the_worker_matches_a_direct_call(
    styles: dict[str, Style], astronaut: np.ndarray, coffee: np.ndarray
) -> None:
    worker = InferenceWorker(EngineConfig(device="cpu", split_cpu_batches=False), styles)
    outs = worker.run("webtoon", [astronaut, coffee], (320, 320))
    whole = WebtoonStyle(person_aware=False)
    for image, out in zip([astronaut, coffee], outs, strict=True):
        alone = (_run(styles["webtoon"], image)[0].permute(1, 2, 0) * 255).round().numpy()
        assert np.abs(out.astype(np.float64) - alone).max() <= 1.0
    # The worker handed the person guides over: the portrait is not the whole-image look.
    plain = (_run(whole, astronaut)[0].permute(1, 2, 0) * 255).round().numpy()
    assert np.abs(outs[0].astype(np.float64) - plain).mean() > 1.0


def test_webtoon_degrades_to_whole_image_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, astronaut: np.ndarray
) -> None:
    monkeypatch.setattr(analysis, "analysis_available", lambda: False)
    monkeypatch.setattr(analysis, "_warned", False)
    style = WebtoonStyle()
    second = WebtoonStyle()
    with caplog.at_level(logging.WARNING, logger="engine.analysis"):
        out = _run(style, astronaut)
        _run(style, astronaut)
        assert style.prepare([astronaut]) is None
        _run(second, astronaut)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "person analysis unavailable" in warnings[0].getMessage()
    assert torch.equal(out, _run(WebtoonStyle(person_aware=False), astronaut))


def test_cpu_banded_blend_matches_the_full_frame_blend() -> None:
    # A soft disc per image, different in each, over a size that is no multiple of the bands;
    # the first covers whole bands in its middle columns, so there the background is skipped.
    images = _to_batch(_photo(data.astronaut, (260, 300)), _photo(data.coffee, (260, 300)))
    yy, xx = np.mgrid[0:300, 0:260]
    guides = torch.zeros(2, 2, 300, 260)
    for i, (cy, cx, r) in enumerate(((140, 130, 170), (200, 60, 50))):
        disc = (np.hypot(yy - cy, xx - cx) < r).astype(np.float32)
        guides[i, 0] = torch.from_numpy(cv2.GaussianBlur(disc, (0, 0), 4.0))
    style = WebtoonStyle(person_aware=False)
    with torch.inference_mode():
        out = style(images, guides)
        bg = style.background_pass.stylize(images)
        fg = style.person_pass.stylize(images)
        mask = guides[:, 0:1]
        expected = style._finish(bg + mask * (fg - bg))
        alone = style(images[1:], guides[1:])
    # Only where the mask is within PRESENT of 0 or 1 is one look skipped.
    assert (out - expected).abs().max() <= PRESENT
    assert (out[1:] - alone).abs().max() == 0
    assert (out - style._finish(bg.clone())).abs().amax(dim=(1, 2, 3)).min() > 0.1

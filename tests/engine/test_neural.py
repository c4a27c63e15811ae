"""Neural styles: the AnimeGANv2 spec, cards, torch and ONNX paths, the registry and compositing."""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from engine.config import EngineConfig
from engine.engine import Engine
from engine.job import Job
from engine.neural.animeganv2 import AnimeGANv2Generator
from engine.neural.cards import CardError, ModelSettings, load_card, load_cards, parse_card
from engine.neural.style import (
    CompositeStyle,
    ModelLoadFailed,
    OnnxStyle,
    TorchStyle,
    load_neural_style,
)
from engine.styles import STYLE_NAMES, build_styles, describe_styles

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT.parent / "shared" / "specs" / "animeganv2_state_dict_spec.json"

TORCH_CARD = """
name = "tiny-anime"
description = "test generator"
format = "torch"
architecture = "animeganv2"
file = "tiny.pt"
sha256 = ""
url = "https://example.invalid/tiny.pt"
licence = "test"
commercial_use = true
layout = "NCHW"
range = "[-1,1]"
size_multiple = 4
"""

ONNX_CARD = """
name = "tiny-onnx"
description = "test onnx generator"
format = "onnx"
file = "tiny.onnx"
url = "https://example.invalid/tiny.onnx"
licence = "test"
commercial_use = false
layout = "NHWC"
range = "[-1,1]"
size_multiple = 8
"""


def photo(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def to_tensor(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(img).permute(2, 0, 1).unsqueeze(0).float() / 255.0


@pytest.fixture
def generator() -> AnimeGANv2Generator:
    torch.manual_seed(0)
    return AnimeGANv2Generator().eval()


@pytest.fixture
def torch_model(tmp_path: Path, generator: AnimeGANv2Generator) -> ModelSettings:
    (tmp_path / "cards").mkdir()
    (tmp_path / "cache").mkdir()
    (tmp_path / "cards" / "tiny.toml").write_text(TORCH_CARD)
    torch.save(generator.state_dict(), tmp_path / "cache" / "tiny.pt")
    return ModelSettings(cache_dir=str(tmp_path / "cache"), cards_dir=str(tmp_path / "cards"))


def test_generator_state_dict_matches_the_published_spec() -> None:
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} not present")
    spec = json.loads(SPEC.read_text())
    state = AnimeGANv2Generator().state_dict()
    assert [(k, list(v.shape)) for k, v in state.items()] == [
        (e["name"], e["shape"]) for e in spec["state_dict"]
    ]
    assert len(state) == spec["num_state_dict_entries"]
    assert sum(p.numel() for p in AnimeGANv2Generator().parameters()) == spec["total_parameters"]
    assert "align_corners=True" in spec["io_convention"]


async def test_torch_card_runs_through_the_engine_like_a_direct_call(
    torch_model: ModelSettings, generator: AnimeGANv2Generator
) -> None:
    img = photo(62, 70)  # not a multiple of 4: padded by reflection, cropped back
    async with Engine(EngineConfig(device="cpu"), models=torch_model) as engine:
        assert "tiny-anime" in engine.style_names
        out = await engine.submit(Job(img, "tiny-anime"))
    assert out.shape == img.shape and out.dtype == np.uint8
    with torch.inference_mode():
        x = F.pad(to_tensor(img), (0, 2, 0, 2), mode="reflect") * 2 - 1
        y = ((generator(x) + 1) / 2)[..., :62, :70].clamp(0, 1)
    expected = (y * 255).round().to(torch.uint8)[0].permute(1, 2, 0).numpy()
    assert np.abs(out.astype(int) - expected.astype(int)).max() <= 1
    assert out.std() > 1  # a real picture, not a constant


async def test_neural_jobs_batch_only_with_images_of_the_same_size(
    torch_model: ModelSettings, generator: AnimeGANv2Generator
) -> None:
    import asyncio

    # Whole-image GroupNorm would see bucket padding, so a stacked batch must not pad.
    cfg = EngineConfig(device="cpu", split_cpu_batches=False, max_batch_size=4, max_wait_ms=100)
    images = [photo(60, 64, 0), photo(60, 64, 1), photo(56, 72, 2)]
    async with Engine(cfg, models=torch_model) as engine:
        outs = await asyncio.gather(
            *(engine.submit(Job(img, "tiny-anime", str(i))) for i, img in enumerate(images))
        )
    for img, out in zip(images, outs, strict=True):
        with torch.inference_mode():
            y = (generator(to_tensor(img) * 2 - 1) + 1) / 2
        expected = (y.clamp(0, 1) * 255).round().to(torch.uint8)[0].permute(1, 2, 0).numpy()
        assert np.abs(out.astype(int) - expected.astype(int)).max() <= 1


def test_registry_serves_installed_enabled_cards_only(
    torch_model: ModelSettings, tmp_path: Path
) -> None:
    assert "tiny-anime" in describe_styles(torch_model)
    assert tuple(describe_styles()) == STYLE_NAMES
    styles = build_styles(torch.device("cpu"), torch_model)
    assert tuple(styles)[: len(STYLE_NAMES)] == STYLE_NAMES
    assert isinstance(styles["tiny-anime"], TorchStyle)
    others = ModelSettings(torch_model.cache_dir, torch_model.cards_dir, enabled=("other",))
    assert "tiny-anime" not in build_styles(torch.device("cpu"), others)
    empty = ModelSettings(str(tmp_path / "nothing"), torch_model.cards_dir)
    assert tuple(build_styles(torch.device("cpu"), empty)) == STYLE_NAMES


def test_torch_weights_load_strictly(tmp_path: Path, generator: AnimeGANv2Generator) -> None:
    card = parse_card(_toml(TORCH_CARD))
    state = generator.state_dict()
    del state["out_layer.0.weight"]
    torch.save(state, tmp_path / "bad.pt")
    with pytest.raises(ModelLoadFailed, match=r"missing out_layer\.0\.weight"):
        load_neural_style(card, tmp_path / "bad.pt", torch.device("cpu"))


class _Nhwc8(nn.Module):
    """NHWC [-1,1] in and out; pixel_unshuffle fails unless H and W are multiples of 8."""

    def __init__(self) -> None:
        super().__init__()
        self.mix = nn.Conv2d(192, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.pixel_unshuffle(x.permute(0, 3, 1, 2), 8)
        y = F.pixel_shuffle(self.mix(y), 8)
        return torch.tanh(y).permute(0, 2, 3, 1)


def test_onnx_card_pads_to_its_multiple_and_crops_back(tmp_path: Path) -> None:
    torch.manual_seed(1)
    model = _Nhwc8().eval()
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (torch.zeros(1, 16, 16, 3),),
            buf,
            dynamo=False,
            input_names=["image"],
            output_names=["art"],
            dynamic_axes={"image": {0: "n", 1: "h", 2: "w"}, "art": {0: "n", 1: "h", 2: "w"}},
        )
    (tmp_path / "tiny.onnx").write_bytes(buf.getvalue())
    card = parse_card(_toml(ONNX_CARD))
    style = load_neural_style(card, tmp_path / "tiny.onnx", torch.device("cpu"))
    assert isinstance(style, OnnxStyle)
    batch = torch.cat([to_tensor(photo(37, 45, seed)) for seed in (1, 2)])
    out = style(batch)
    assert out.shape == batch.shape and out.dtype == torch.float32
    assert out.min() >= 0 and out.max() <= 1
    with torch.inference_mode():
        padded = F.pad(batch, (0, 3, 0, 3), mode="reflect") * 2 - 1
        expected = (model(padded.permute(0, 2, 3, 1)).permute(0, 3, 1, 2) + 1) / 2
    torch.testing.assert_close(out, expected[..., :37, :45], atol=1e-4, rtol=1e-4)


class _Fill:
    needs_exact_size = False

    def __init__(self, name: str, value: float) -> None:
        self.name = name
        self.description = name
        self.value = value

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        return images * 0.0 + self.value


def test_composite_uses_the_foreground_style_on_people() -> None:
    def left_half(images: list[np.ndarray]) -> list[np.ndarray]:
        masks = []
        for img in images:
            assert img.dtype == np.uint8 and img.ndim == 3
            mask = np.zeros(img.shape[:2], np.float32)
            mask[:, : img.shape[1] // 2] = 1.0
            masks.append(mask)
        return masks

    style = CompositeStyle("mix", _Fill("fg", 0.9), _Fill("bg", 0.1), left_half)
    out = style(torch.rand(2, 3, 20, 30))
    assert out.shape == (2, 3, 20, 30)
    assert torch.all(out[..., :14] == 0.9)
    assert torch.allclose(out[..., 16:], torch.tensor(0.1))


def _toml(text: str) -> dict[str, object]:
    import tomllib

    return tomllib.loads(text)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('format = "caffe"', "format must be one of"),
        ('layout = "CHW"', "layout must be one of"),
        ('sha256 = "abc"', "sha256 must be 64"),
        ('file = "../evil.pt"', "file must be a plain file name"),
        ('architecture = "unet"', "architecture must be one of"),
        ("size_multiple = 0", "size_multiple must be between"),
        ('size_multiple = "8"', "size_multiple must be int"),
        ('url = "http://x/y.pt"', "url must be an https"),
        ('colour = "red"', "unknown key"),
    ],
)
def test_card_validation_names_the_file_and_key(tmp_path: Path, change: str, message: str) -> None:
    key = change.split(" = ")[0]
    lines = [line for line in TORCH_CARD.splitlines() if not line.startswith(f"{key} =")]
    path = tmp_path / "bad.toml"
    path.write_text("\n".join([*lines, change]))
    with pytest.raises(CardError, match=message) as err:
        load_card(path)
    assert str(path) in str(err.value)


def test_missing_key_and_broken_toml_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(TORCH_CARD.replace('licence = "test"', ""))
    with pytest.raises(CardError, match="missing key 'licence'"):
        load_card(path)
    path.write_text("name = ")
    with pytest.raises(CardError, match="cannot read model card"):
        load_card(path)


def test_shipped_cards_are_valid_and_flag_non_commercial_weights() -> None:
    cards = {card.name: card for card in load_cards(ROOT / "models")}
    assert {"face-paint", "paprika", "hayao", "shinkai"} <= set(cards)
    assert not any(card.commercial_use for card in cards.values())
    assert cards["face-paint"].architecture == "animeganv2"
    assert cards["hayao"].layout == "NHWC"
    assert all(card.url.startswith("https://github.com/") for card in cards.values())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
async def test_torch_card_runs_batched_in_fp16_on_cuda(torch_model: ModelSettings) -> None:
    import asyncio

    # Two of a size batch together; an odd size must not be padded into their batch.
    images = [photo(64, 96, 0), photo(64, 96, 1), photo(70, 90, 2), photo(128, 128, 3)]

    async def run(device: str) -> list[np.ndarray]:
        cfg = EngineConfig(device=device, max_batch_size=4, max_wait_ms=200)
        async with Engine(cfg, models=torch_model) as engine:
            jobs = [engine.submit(Job(img, "tiny-anime", str(i))) for i, img in enumerate(images)]
            return list(await asyncio.gather(*jobs))

    gpu, cpu = await run("cuda"), await run("cpu")
    for fast, exact in zip(gpu, cpu, strict=True):
        assert fast.shape == exact.shape and fast.dtype == np.uint8
        diff = np.abs(fast.astype(int) - exact.astype(int))
        print(f"fp16 cuda vs fp32 cpu: mean {diff.mean():.3f}, max {diff.max()}")
        assert diff.mean() < 2.0


@pytest.mark.parametrize("role", ["foreground", "background"])
def test_a_role_card_becomes_one_pass_of_a_webtoon_composite(
    torch_model: ModelSettings, role: str
) -> None:
    card = Path(torch_model.cards_dir) / "tiny.toml"
    card.write_text(TORCH_CARD + f'role = "{role}"\n')
    fg, bg = ("tiny-anime", "webtoon") if role == "foreground" else ("webtoon", "tiny-anime")
    assert describe_styles(torch_model)["webtoon-tiny-anime"] == f"{fg} on people, {bg} behind them"
    styles = build_styles(torch.device("cpu"), torch_model)
    composite = styles["webtoon-tiny-anime"]
    assert isinstance(composite, CompositeStyle)
    assert composite.needs_exact_size  # the generator normalises over the whole picture
    # No person in random noise: the mask is empty, so the picture is the background style.
    x = to_tensor(photo(48, 64))
    with torch.inference_mode():
        out = composite(x)
        expected = styles[bg](x)
    assert torch.allclose(out, expected, atol=1e-5)


def test_whole_role_cards_make_no_composite(torch_model: ModelSettings) -> None:
    assert not [n for n in describe_styles(torch_model) if n.startswith("webtoon-")]

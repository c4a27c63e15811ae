"""Neural styles: run a carded torch or ONNX generator as a Style, and blend two by a mask."""

from __future__ import annotations

import logging
import pickle
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from engine.errors import ToonError
from engine.neural.animeganv2 import AnimeGANv2Generator
from engine.neural.cards import ModelCard
from engine.styles.base import Style

__all__ = [
    "CompositeStyle",
    "Masker",
    "ModelLoadFailed",
    "OnnxStyle",
    "TorchStyle",
    "load_neural_style",
]

log = logging.getLogger(__name__)

# Per-image person masks: HxWx3 uint8 RGB images in, HxW float32 masks in [0, 1] out.
Masker = Callable[[list[np.ndarray]], list[np.ndarray]]

_ARCHITECTURES: dict[str, Callable[[], torch.nn.Module]] = {
    "animeganv2": AnimeGANv2Generator,
}


def _to_model(images: torch.Tensor, card: ModelCard) -> torch.Tensor:
    """[0,1] NCHW -> the card's layout and range, padded up to its size multiple."""
    h, w = images.shape[-2:]
    m = card.size_multiple
    pad = (0, -w % m, 0, -h % m)
    x = images
    if any(pad):
        # Reflect keeps texture continuous at the edge; it needs the pad smaller than the side.
        mode = "reflect" if pad[1] < w and pad[3] < h else "replicate"
        x = F.pad(x, pad, mode=mode)
    if card.value_range == "[-1,1]":
        x = x * 2.0 - 1.0
    if card.layout == "NHWC":
        x = x.permute(0, 2, 3, 1)
    return x.contiguous()


def _from_model(out: torch.Tensor, card: ModelCard, h: int, w: int) -> torch.Tensor:
    """The model's output back to [0,1] float32 NCHW, cropped to (h, w)."""
    if card.layout == "NHWC":
        out = out.permute(0, 3, 1, 2)
    out = out.float()
    if card.value_range == "[-1,1]":
        out = (out + 1.0) * 0.5
    return out[..., :h, :w].clamp(0.0, 1.0).contiguous()


class ModelLoadFailed(ToonError):
    """An installed weights file cannot be loaded for its card: corrupt, foreign or mismatched.

    `reason` is ToonBot's own words, never the loader's message (torch's advises turning off
    weights_only, which would run whatever code a foreign file carries).
    """

    def __init__(self, name: str, path: Path, reason: str) -> None:
        super().__init__(f"model {name}: {path} {reason}")
        self.name = name
        self.path = path
        self.reason = reason


class TorchStyle:
    """A torch generator from a card whose architecture ToonBot implements."""

    # Whole-image GroupNorm would mix the engine's bucket padding into the result.
    needs_exact_size = True

    def __init__(self, card: ModelCard, model: torch.nn.Module) -> None:
        self.name = card.name
        self.description = card.description
        self.card = card
        self._model = model.eval().requires_grad_(False)

    @classmethod
    def load(cls, card: ModelCard, weights: Path, device: torch.device) -> TorchStyle:
        """Build the card's architecture and load its state_dict strictly (no pickled code).

        Raises ModelLoadFailed when the file is unreadable, is not a torch file, holds more
        than tensors (a pickled model: refused unread), or its tensors do not fit.
        """
        model = _ARCHITECTURES[card.architecture]()
        try:
            state = torch.load(weights, map_location="cpu", weights_only=True)
        except OSError as exc:
            raise ModelLoadFailed(card.name, weights, f"cannot be read: {exc.strerror}") from None
        except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as exc:
            raise ModelLoadFailed(card.name, weights, _torch_load_problem(weights, exc)) from None
        problem = _state_dict_problem(model, state, card.architecture)
        if problem:
            raise ModelLoadFailed(card.name, weights, problem)
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError:  # shapes that differ: the weights are of another model
            raise ModelLoadFailed(
                card.name, weights, f"has tensors of the wrong shape for {card.architecture}"
            ) from None
        return cls(card, model.to(device))

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Stylize a [0,1] NCHW batch; fp16 autocast from the worker applies on CUDA."""
        h, w = images.shape[-2:]
        out = self._model(_to_model(images, self.card))
        return _from_model(out, self.card, h, w)


class OnnxStyle:
    """An ONNX generator run by onnxruntime (CUDA provider when present), one session for life."""

    needs_exact_size = True

    def __init__(self, card: ModelCard, weights: Path, device: torch.device) -> None:
        import onnxruntime as ort

        self.name = card.name
        self.description = card.description
        self.card = card
        providers = ["CPUExecutionProvider"]
        if device.type == "cuda" and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        self._session: Any = ort.InferenceSession(str(weights), providers=providers)
        self._input = self._session.get_inputs()[0].name
        log.info("%s runs on %s", card.name, self._session.get_providers()[0])

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Stylize a [0,1] NCHW batch; onnxruntime picks its own precision."""
        h, w = images.shape[-2:]
        x = _to_model(images.float(), self.card).cpu().numpy()
        (out,) = self._session.run(None, {self._input: x})[:1]
        result = torch.from_numpy(np.asarray(out, dtype=np.float32)).to(images.device)
        return _from_model(result, self.card, h, w)


def load_neural_style(card: ModelCard, weights: Path, device: torch.device) -> Style:
    """The Style for a card with its weights at `weights`.

    Raises ModelLoadFailed (in ToonBot's words) when the file cannot serve as the card's model.
    """
    if card.format == "onnx":
        if not weights.is_file():
            raise ModelLoadFailed(card.name, weights, "does not exist")
        try:
            return OnnxStyle(card, weights, device)
        except ImportError:
            raise ModelLoadFailed(card.name, weights, "needs onnxruntime (not installed)") from None
        except Exception:  # onnxruntime raises its own types for every kind of bad file
            raise ModelLoadFailed(card.name, weights, "is not a readable ONNX model") from None
    return TorchStyle.load(card, weights, device)


def _torch_load_problem(path: Path, exc: BaseException) -> str:
    """What is wrong with a file torch.load refused, without repeating torch's advice."""
    if not zipfile.is_zipfile(path):
        return "is not a torch weights file (corrupt, truncated or another format)"
    if isinstance(exc, pickle.UnpicklingError):
        return "holds pickled Python objects, not just tensors (a whole model?): refused unread"
    return "is a damaged torch weights file"


def _state_dict_problem(model: torch.nn.Module, state: object, architecture: str) -> str:
    """Why `state` cannot be `model`'s state_dict, or "" when its keys fit."""
    if not isinstance(state, Mapping) or not all(
        isinstance(v, torch.Tensor) for v in state.values()
    ):
        return "holds no state_dict of tensors"
    expected = set(model.state_dict())
    missing = sorted(expected - set(state))
    unexpected = sorted(set(state) - expected)
    if not missing and not unexpected:
        return ""
    detail = "; ".join(
        f"{what} {', '.join(keys[:3])}{' ...' if len(keys) > 3 else ''}"
        for what, keys in (("missing", missing), ("unexpected", unexpected))
        if keys
    )
    return f"does not fit the {architecture} architecture ({detail})"


class CompositeStyle:
    """Foreground style on people, background style elsewhere, blended by a soft person mask."""

    def __init__(
        self, name: str, foreground: Style, background: Style, masker: Masker, description: str = ""
    ) -> None:
        self.name = name
        self.description = description or f"{foreground.name} on people, {background.name} behind"
        self._fg = foreground
        self._bg = background
        self._masker = masker
        self.needs_exact_size = foreground.needs_exact_size or background.needs_exact_size

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Stylize a [0,1] NCHW batch with both styles and blend per pixel."""
        pixels = images.float().clamp(0.0, 1.0).mul(255.0).round().to(torch.uint8)
        arrays = list(pixels.permute(0, 2, 3, 1).cpu().numpy())
        masks = self._masker(arrays)
        if len(masks) != len(arrays):
            raise ValueError(f"masker returned {len(masks)} masks for {len(arrays)} images")
        mask = torch.from_numpy(np.stack(masks).astype(np.float32, copy=False))
        mask = mask.to(images.device).unsqueeze(1).clamp(0.0, 1.0)
        fg = self._fg(images).float()
        bg = self._bg(images).float()
        return torch.lerp(bg, fg, mask)

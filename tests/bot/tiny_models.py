"""Small real model files for tests: a valid ONNX generator, and cards that point at files."""

from __future__ import annotations

import functools
import io
import warnings
from pathlib import Path

import torch
from torch import nn

__all__ = ["tiny_onnx", "write_card"]


class _Tanh(nn.Module):
    """NHWC in [-1, 1] and out: a 1x1 convolution, enough for onnxruntime to load and run."""

    def __init__(self) -> None:
        super().__init__()
        self.mix = nn.Conv2d(3, 3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.mix(x.permute(0, 3, 1, 2))).permute(0, 2, 3, 1)


@functools.cache
def tiny_onnx() -> bytes:
    """The bytes of a valid ONNX model (input "image", NHWC, any height and width)."""
    torch.manual_seed(0)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Tanh().eval(),
            (torch.zeros(1, 16, 16, 3),),
            buf,
            dynamo=False,
            input_names=["image"],
            output_names=["art"],
            dynamic_axes={"image": {1: "h", 2: "w"}, "art": {1: "h", 2: "w"}},
        )
    return buf.getvalue()


def write_card(
    cards: Path,
    name: str,
    *,
    fmt: str = "onnx",
    sha256: str = "",
    role: str = "whole",
) -> str:
    """Write cards/<name>.toml for a `fmt` model; returns the weights file name it names."""
    ext = "onnx" if fmt == "onnx" else "pt"
    arch = 'architecture = "animeganv2"\n' if fmt == "torch" else ""
    layout, multiple = ("NHWC", 8) if fmt == "onnx" else ("NCHW", 4)
    (cards / f"{name}.toml").write_text(
        f'name = "{name}"\ndescription = "test {name}"\nformat = "{fmt}"\n{arch}'
        f'file = "{name}.{ext}"\nsha256 = "{sha256}"\nurl = "https://example.invalid/{name}"\n'
        f'licence = "test"\ncommercial_use = true\nlayout = "{layout}"\nrange = "[-1,1]"\n'
        f'size_multiple = {multiple}\nrole = "{role}"\n'
    )
    return f"{name}.{ext}"

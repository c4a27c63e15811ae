"""The public AnimeGANv2 generator (bryandlee/animegan2-pytorch), state_dict-compatible."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["AnimeGANv2Generator"]


class _ConvNormLReLU(nn.Sequential):
    # Index layout (pad, conv, norm, act) is fixed by the published state_dict names.
    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel_size: int = 3,
        stride: int = 1,
        padding: int | tuple[int, int, int, int] = 1,
        groups: int = 1,
        bias: bool = False,
    ) -> None:
        super().__init__(
            nn.ReflectionPad2d(padding),
            nn.Conv2d(in_ch, out_ch, kernel_size, stride, padding=0, groups=groups, bias=bias),
            nn.GroupNorm(num_groups=1, num_channels=out_ch, affine=True),
            nn.LeakyReLU(0.2, inplace=True),
        )


class _InvertedResBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, expansion_ratio: int = 2) -> None:
        super().__init__()
        self.use_res_connect = in_ch == out_ch
        hidden = round(in_ch * expansion_ratio)
        self.layers = nn.Sequential(
            _ConvNormLReLU(in_ch, hidden, kernel_size=1, padding=0),
            _ConvNormLReLU(hidden, hidden, groups=hidden, bias=True),
            nn.Conv2d(hidden, out_ch, kernel_size=1, bias=False),
            nn.GroupNorm(num_groups=1, num_channels=out_ch, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.layers(x)
        return x + out if self.use_res_connect else out


class AnimeGANv2Generator(nn.Module):
    """NCHW RGB in [-1, 1] -> NCHW RGB in [-1, 1]; any input size (even sizes are exact)."""

    def __init__(self) -> None:
        super().__init__()
        self.block_a = nn.Sequential(
            _ConvNormLReLU(3, 32, kernel_size=7, padding=3),
            _ConvNormLReLU(32, 64, stride=2, padding=(0, 1, 0, 1)),
            _ConvNormLReLU(64, 64),
        )
        self.block_b = nn.Sequential(
            _ConvNormLReLU(64, 128, stride=2, padding=(0, 1, 0, 1)),
            _ConvNormLReLU(128, 128),
        )
        self.block_c = nn.Sequential(
            _ConvNormLReLU(128, 128),
            _InvertedResBlock(128, 256),
            _InvertedResBlock(256, 256),
            _InvertedResBlock(256, 256),
            _InvertedResBlock(256, 256),
            _ConvNormLReLU(256, 128),
        )
        self.block_d = nn.Sequential(_ConvNormLReLU(128, 128), _ConvNormLReLU(128, 128))
        self.block_e = nn.Sequential(
            _ConvNormLReLU(128, 64),
            _ConvNormLReLU(64, 64),
            _ConvNormLReLU(64, 32, kernel_size=7, padding=3),
        )
        self.out_layer = nn.Sequential(nn.Conv2d(32, 3, kernel_size=1, bias=False), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Stylize; upsampling uses align_corners=True as the published weights expect."""
        out = self.block_a(x)
        half_size = out.shape[-2:]
        out = self.block_c(self.block_b(out))
        out = F.interpolate(out, size=half_size, mode="bilinear", align_corners=True)
        out = self.block_d(out)
        out = F.interpolate(out, size=x.shape[-2:], mode="bilinear", align_corners=True)
        result: torch.Tensor = self.out_layer(self.block_e(out))
        return result

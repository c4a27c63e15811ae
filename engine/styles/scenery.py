"""Painted scenery: the webtoon background look (painted fills, painted skies, coherent ink)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from engine.styles import filters as flt
from engine.styles.cel import CelFrame, CelPass
from engine.styles.flow import structure_tensor, tensor_flow, tensor_tangent
from engine.styles.grade import grade as apply_grade
from engine.styles.kuwahara import anisotropic_kuwahara
from engine.styles.lineart import LineSettings, coherent_lines, silhouette_strength
from engine.styles.rank import max_filter, median_blur, min_filter, sampled_quantile
from engine.styles.sky import paint_sky, sky_mask

__all__ = ["SceneryPass", "mean_saturation"]


def mean_saturation(rgb: torch.Tensor, *, weighted: bool = False) -> torch.Tensor:
    """Mean HSV saturation per image, (N,) in [0, 1]: (max - min) / max, 0 where max is 0.

    Plain HSV saturation is unstable near black (a 1/255 tint on black reads as fully
    saturated); weighted=True returns sum(max - min) / sum(max) instead, each pixel counted by
    its brightness, which is what the style steers by.
    """
    hi = rgb.amax(dim=1)
    lo = rgb.amin(dim=1)
    if weighted:
        spread = (hi - lo).flatten(1).sum(dim=1, dtype=torch.float64)
        return spread.div_(hi.flatten(1).sum(dim=1, dtype=torch.float64).clamp_(min=1e-6)).to(
            rgb.dtype
        )
    sat = (hi - lo).div_(hi.clamp(min=1e-6))
    return sat.flatten(1).mean(dim=1, dtype=torch.float64).to(rgb.dtype)


def _resize_area(x: torch.Tensor, size: tuple[int, int] | torch.Size) -> torch.Tensor:
    """x (N, C, H, W) averaged down to exactly `size` (the two grids' factors need not divide
    each other: 720 x 1280 pools lines by 2 and colour by 5). Where the grids nest, these are
    the block means downsample() takes, partial border blocks included."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    h, w = x.shape[-2:]
    factor = -(-h // int(size[0]))
    if (-(-h // factor), -(-w // factor)) == (int(size[0]), int(size[1])):
        # The grids nest (the usual case): block means, ~10x faster than area interpolation.
        return flt.downsample(x, factor)
    return F.interpolate(x, size=(int(size[0]), int(size[1])), mode="area")


class SceneryPass(CelPass):
    """How a webtoon background artist paints a photo: shapes and skies, structure inked.

    - Fills: an anisotropic Kuwahara filter (kuwahara.py) on the colour grid turns texture
      into brush-like patches that follow the structure; foliage and blossoms become
      clusters of colour.
    - Skies (sky.py): a clean gradient with cel-shaded clouds.
    - Colour: a per-scene tone curve (levels stretched between the 1st and 99th luma
      percentiles, with limits) and a chroma gain that lands the painting's mean HSV
      saturation at `vividness` times the photo's, hue kept (chroma is scaled in YCbCr).
    - Lines (lineart.py): a flow DoG along the edge tangent flow with hysteresis and removal
      of short strokes; busy, directionless texture raises the thresholds (it gets paint,
      not ink), and boundaries between strongly different painted regions (silhouettes)
      get thicker strokes.

    texture (0..1) sets how much painted texture and interior line work survives (brush
    radius and line thresholds); vividness (about 0.8..1.4) is the target saturation ratio,
    judged after a grade (grade.py) of strength `grade` that the caller applies afterwards.
    Other keywords are CelPass's (upsampling, soft luma bands, ink rendering). Raises
    ValueError for texture or grade outside [0, 1] or a vividness that is not positive.
    """

    def __init__(
        self,
        *,
        texture: float = 0.5,
        vividness: float = 1.1,
        grade: float = 0.0,
        **params: object,
    ) -> None:
        if not 0.0 <= texture <= 1.0 or vividness <= 0.0 or not 0.0 <= grade <= 1.0:
            raise ValueError("texture and grade must lie in [0, 1] and vividness be positive")
        # The strength of the grade (grade.py) the caller applies afterwards: the saturation
        # target is judged after it.
        self.grade = grade
        # Photo grain up to this median's reach never returns at full size.
        self.grain_median = 5
        # Crisp stroke ends: a long soft tail prints as a separate speck past the stroke.
        params.setdefault("ink_edges", (0.35, 0.7))
        # No k-means palette: its paint pots are chosen per frame and swap in video (the
        # stabilized warping error of a panned clip doubled with one); the brush clusters.
        params.setdefault("palette_size", 0)
        # Less of the photo's fine luma comes back at full size than on a person: painted.
        # Edges of more than ~0.1 luma stay crisp; finer detail (tiles, leaves, grain) is
        # left to the brush. More texture lets more of it back.
        params.setdefault("upsample_eps", 0.001 + 0.01 * (1.0 - texture) ** 1.6)
        params.setdefault("smooth_iters", 0)
        super().__init__(**params)  # type: ignore[arg-type]
        self.texture = texture
        self.vividness = vividness
        # Little texture: wide brushes, only the strongest structure inked, and in busy
        # texture almost none of the photo's fine detail comes back at full size.
        self.brush_radius = 3.2 - 1.8 * texture
        self.busy_edges = (0.01, 0.04)
        self.busy_eps = 40.0 * (1.2 - texture)
        self.busy_lines = 1.0 - 0.8 * texture
        self.crevices = 0.9 - 0.4 * texture
        # More texture: more and shorter strokes may be inked, standing out less from their
        # surroundings.
        self.lines = LineSettings(
            high=0.03 - 0.01 * texture,
            low=0.6 * (0.03 - 0.01 * texture),
            min_length=0.08 - 0.06 * texture,
            relative=2.5 - texture,
            budget=0.005 + 0.02 * texture,
            cap=0.02 + 0.04 * texture,
            sigma_c=0.8,
        )

    def frame_key(self) -> tuple[object, ...]:
        """Never shared with a CelPass: the frames differ."""
        return ("scenery", self.work_side, self.line_side, *self.lines.key(), self.texture)

    def frame(self, x: torch.Tensor) -> CelFrame:
        """Luma, the colour grid, and the contrast-normalised line grid.

        saturation_target (N,) is the photo's brightness-weighted saturation
        (mean_saturation(weighted=True); black bars and night skies cannot skew it), measured
        on every fourth pixel of every fourth row (unblurred, unlike the pooled grids), times
        vividness.
        """
        h, w = x.shape[-2:]
        k_colour = flt.pool_factor(h, w, self.work_side)
        k_line = flt.pool_factor(h, w, self.line_side)
        # The full-size guide of the upsampling, without single-pixel dots and threads: the
        # photo's own grain would come back through it as specks.
        y_hi = median_blur(flt.rgb_to_luma(x), self.grain_median)
        y_mid = flt.downsample(y_hi, k_line)
        gain = flt.image_std(y_mid).div_(self.reference_contrast)
        gain = gain.clamp_(self.contrast_gain[0], self.contrast_gain[1]).reciprocal_()
        return CelFrame(
            x_lo=flt.downsample(x, k_colour),
            y_hi=y_hi,
            y_mid=y_mid.mul(gain),  # not in place: at k_line 1 y_mid is y_hi
            gain=gain,
            fine_dog=torch.empty(0, device=x.device),  # CelPass's fine lines: not used here
            k_colour=k_colour,
            k_line=k_line,
            saturation_target=mean_saturation(x[..., ::4, ::4], weighted=True).mul_(self.vividness),
        )

    def plan(self, frame: CelFrame) -> tuple[torch.Tensor, torch.Tensor]:
        """Colour coefficients (N, 5, ...: shared gain, offsets, band weight; see
        CelPass.render) on the colour grid and the ink mask on the line grid."""
        x_lo = frame.x_lo
        # One structure tensor on the line grid serves both grids: lines need the flow at
        # their own resolution to stay thin; the brush reads the pooled tensor.
        tensor = structure_tensor(frame.y_mid, 2.0)
        if frame.k_colour > 1:
            flow = tensor_flow(_resize_area(tensor, x_lo.shape[-2:]))
            tangent = tensor_tangent(tensor)
        else:
            flow = tensor_flow(tensor)
            tangent = flow.tangent
        # A light prefilter lets a 13-sample ellipse (grid 5) stand in for 29 samples: about
        # 40% less brush time, and fewer leftover specks (china 100 -> 30 per MP).
        painted = anisotropic_kuwahara(flt.binomial_blur(x_lo, 1), flow, self.brush_radius, grid=5)
        y_lo = flt.rgb_to_luma(x_lo)
        # Texture is what the brush took away; there the photo's fine detail must not come
        # back at full size (it would return as specks): a larger guided-filter eps.
        removed = flt.box_filter(y_lo.sub(flt.rgb_to_luma(painted)).abs_(), 2, inplace=True)
        # ... and only texture without a direction: foliage, gravel, not a building's lattice.
        busy = flt.smoothstep(self.busy_edges[0], self.busy_edges[1], removed)
        busy.mul_(flt.smoothstep(0.6, 0.3, flow.anisotropy))
        eps = busy.mul(self.busy_eps).add_(1.0).mul_(self.upsample_eps)
        sky = sky_mask(x_lo)
        if self.palette_size > 0:
            # A few paint pots per scene: neighbouring brush patches of nearly one colour
            # become one, so foliage reads as clusters of colour (not in skies: they are
            # gradients).
            ycc = self._palettize(flt.rgb_to_ycbcr(painted), 1.0 - sky)
            painted = flt.ycbcr_to_rgb(ycc).clamp_(0.0, 1.0)
        painted, sky = paint_sky(painted, sky)
        if self.crevices > 0:
            # Dark gaps a pixel or two wide on the colour grid (between stones, leaves, roof
            # tiles) would come out as specks at full size: a small grey closing fills them
            # with the colour around them, fully in busy texture.
            closed = min_filter(max_filter(painted, 1), 1)
            weight = busy.mul(1.0 - self.crevices).add_(self.crevices)
            painted = torch.lerp(painted, closed, weight)
        # Cel bands only where luma varies at object scale: in skies and smooth gradients
        # steps would look like cheap posterization.
        slope = flt.box_filter(flt.gradient_magnitude(flt.rgb_to_luma(painted)), 1, inplace=True)
        cel = flt.smoothstep(self.band_slope[0], self.band_slope[1], slope).mul_(1.0 - sky)
        target = frame.saturation_target
        if target is None:  # a CelPass frame: aim at the photo's own saturation
            target = mean_saturation(x_lo, weighted=True).mul_(self.vividness)
        painted = self._colour(target, painted, cel)
        a, b = self._luma_coefficients(y_lo, painted, eps)
        ink = self._ink(frame, tangent, painted, torch.maximum(sky, busy.mul(self.busy_lines)))
        return torch.cat([a, b, cel], dim=1), ink

    def _colour(
        self, target: torch.Tensor, painted: torch.Tensor, cel: torch.Tensor
    ) -> torch.Tensor:
        """Per-scene tone curve on luma, then a chroma gain to the target saturation.

        target (N,): the photo's mean saturation times vividness; the gain is judged on the
        painting as render() will band it (cel weight), since bands move luma.
        """
        ycc = flt.rgb_to_ycbcr(painted.clamp(0.0, 1.0))
        y = ycc[:, 0:1]
        q = sampled_quantile(y, [0.01, 0.99])
        lo = q[0].clamp(max=0.12).view(-1, 1, 1, 1)
        hi = q[1].clamp(min=0.85).view(-1, 1, 1, 1)
        # Levels between the percentiles, at most 1.25x contrast: no crushed shadows.
        gain = (hi - lo).reciprocal_().clamp_(max=1.25)
        mid = (lo + hi).mul_(0.5)
        # The scene's middle moves half-way to mid-grey: dim scenes lift, bright ones settle.
        ycc[:, 0:1] = y.sub(mid).mul_(gain).add_(mid.sub(0.5).mul_(0.5).add_(0.5))
        out = flt.ycbcr_to_rgb(ycc).clamp_(0.0, 1.0)
        # Two rounds: HSV saturation is not linear in chroma once channels clip.
        chroma = torch.ones_like(target)
        for _ in range(2):
            lum = flt.rgb_to_luma(out)
            banded = out + self._quantize_delta(lum, torch.empty_like(lum)).mul_(cel)
            if self.grade > 0:
                apply_grade(banded.clamp_(0.0, 1.0), self.grade)
            have = mean_saturation(banded.clamp_(0.0, 1.0), weighted=True).clamp_(min=1e-4)
            chroma = chroma * (target / have).clamp_(0.5, 2.0)
            scaled = ycc.clone()
            scaled[:, 1:].mul_(chroma.view(-1, 1, 1, 1))
            out = flt.ycbcr_to_rgb(scaled).clamp_(0.0, 1.0)
        return out

    def _luma_coefficients(
        self, y_lo: torch.Tensor, painted: torch.Tensor, eps: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Guided-upsampling coefficients: a (N, 1, ...), one luma gain shared by the three
        channels, and b (N, 3, ...).

        Per-channel gains would scale fine photo texture into each channel differently and
        push dark detail to clipped black (measured: chelsea's mean saturation fell from 0.47
        on the colour grid to 0.30 at full size); one shared gain adds the same luma detail to
        every channel, so chroma, and hue, stay the painting's.
        """
        r = self.upsample_radius
        a, b = flt.guided_coefficients(y_lo, painted, r, eps)
        shared = flt.rgb_to_luma(a)
        # Same output at the window's mean luma: b_c + a_c * m = b'_c + shared * m.
        local = flt.box_filter(y_lo, r)
        b = b.addcmul_(a.sub_(shared), local)
        return shared, b

    def _ink(
        self, frame: CelFrame, tangent: torch.Tensor, painted: torch.Tensor, quiet: torch.Tensor
    ) -> torch.Tensor:
        """Ink on the line grid (where the edge `tangent` is); `painted` and `quiet` (0..1,
        where lines are unwelcome: skies, busy texture) are on the colour grid."""
        y_mid = frame.y_mid
        size = (y_mid.shape[-2], y_mid.shape[-1])
        scale = frame.k_colour / frame.k_line
        silhouette = silhouette_strength(painted, 0.05, 0.12)
        ink, _ = coherent_lines(
            y_mid,
            tangent,
            self.lines,
            suppress=flt.upsample(quiet, scale, size),
            silhouette=flt.upsample(silhouette, scale, size),
        )
        return ink

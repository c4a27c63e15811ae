"""One weightless cel-shading pass (flat colour, luma bands, ink) in pure torch."""

from __future__ import annotations

from typing import NamedTuple

import torch

from engine.styles import filters as flt

__all__ = ["CelFrame", "CelPass"]


class CelFrame(NamedTuple):
    """Per-batch groundwork that depends only on the photo, shareable by passes (frame_key)."""

    x_lo: torch.Tensor  # photo pooled to the colour grid
    y_hi: torch.Tensor  # full-size luma
    y_mid: torch.Tensor  # luma on the line grid, contrast-normalised
    gain: torch.Tensor  # that normalisation, (N, 1, 1, 1)
    fine_dog: torch.Tensor  # DoG of lightly smoothed y_mid, before thresholding
    k_colour: int
    k_line: int
    # Target mean saturation (N,) of a painted pass (SceneryPass); None for CelPass.
    saturation_target: torch.Tensor | None = None


class CelPass:
    """Flat cel-shaded colour with clean dark line art, computed per image in a batch.

    Colour is flattened at a fixed working size (long side ~work_side) and line art is found at
    another (~line_side), both reached by integer pooling; guided upsampling brings the colour
    back to full size with the photo's own edges. So a 512 and a 1024 px photo of the same scene
    come out alike, and the full-size work is a handful of elementwise passes.

    Keyword parameters, by stage (radii are in working-grid pixels, luma in [0, 1]):
      flattening: smooth_radius / smooth_eps / smooth_iters (rolling self-guided filter),
        chroma_eps_ratio, palette_size / palette_iters / palette_chroma_weight /
        palette_temperature / palette_mix (soft k-means palette), saturation / vibrance_limit;
      upsampling: upsample_radius / upsample_eps;
      cel shading: levels / quant_sharpness (soft luma bands), band_slope (luma slope range
        over which banding fades in);
      line art: reference_contrast / contrast_gain, line_smooth_radius / line_smooth_eps,
        line_passes (inner, extra binomial passes of the DoG), flat_threshold /
        fine_threshold / line_phi, speck_radius / speck_density, ink_edges, line_strength,
        texture_gain / texture_radius / texture_density / texture_level / texture_step (where
        fine edges are dense, the flat threshold times 1 + texture_gain and the fine one plus
        texture_gain * texture_step, luma units; 0 = off, see _texture).
    """

    def __init__(
        self,
        *,
        work_side: int = 256,
        line_side: int = 512,
        smooth_radius: int = 3,
        smooth_eps: float = 0.004,
        smooth_iters: int = 2,
        chroma_eps_ratio: float = 0.25,
        palette_size: int = 24,
        palette_iters: int = 6,
        palette_chroma_weight: float = 3.0,
        palette_temperature: float = 0.001,
        palette_mix: float = 0.7,
        saturation: float = 1.3,
        vibrance_limit: float = 0.35,
        upsample_radius: int = 2,
        upsample_eps: float = 1e-3,
        levels: int = 6,
        quant_sharpness: float = 6.0,
        band_slope: tuple[float, float] = (0.002, 0.008),
        reference_contrast: float = 0.25,
        contrast_gain: tuple[float, float] = (0.35, 1.5),
        line_smooth_radius: int = 2,
        line_smooth_eps: float = 0.002,
        line_passes: tuple[int, int] = (2, 3),
        flat_threshold: float = 0.006,
        fine_threshold: float = 0.015,
        line_phi: float = 300.0,
        speck_radius: int = 3,
        speck_density: float = 0.1,
        ink_edges: tuple[float, float] = (0.15, 0.65),
        line_strength: float = 0.88,
        texture_radius: int = 10,
        texture_density: tuple[float, float] = (0.3, 0.4),
        texture_gain: float = 0.0,
        texture_level: float = 0.01,
        texture_step: float = 0.02,
    ) -> None:
        if work_side < 1 or line_side < 1 or levels < 1:
            raise ValueError("work_side, line_side and levels must be positive")
        if ink_edges[1] <= ink_edges[0] or band_slope[1] <= band_slope[0]:
            raise ValueError("ink_edges and band_slope must be increasing pairs")
        self.work_side = work_side
        self.line_side = line_side
        self.smooth_radius = smooth_radius
        self.smooth_eps = smooth_eps
        self.smooth_iters = smooth_iters
        self.chroma_eps_ratio = chroma_eps_ratio
        self.palette_size = palette_size
        self.palette_iters = palette_iters
        self.palette_chroma_weight = palette_chroma_weight
        self.palette_temperature = palette_temperature
        self.palette_mix = palette_mix
        self.saturation = saturation
        self.vibrance_limit = vibrance_limit
        self.upsample_radius = upsample_radius
        self.upsample_eps = upsample_eps
        self.levels = levels
        self.quant_sharpness = quant_sharpness
        self.band_slope = band_slope
        self.reference_contrast = reference_contrast
        self.contrast_gain = contrast_gain
        self.line_smooth_radius = line_smooth_radius
        self.line_smooth_eps = line_smooth_eps
        self.line_passes = line_passes
        self.flat_threshold = flat_threshold
        self.fine_threshold = fine_threshold
        self.line_phi = line_phi
        self.speck_radius = speck_radius
        self.speck_density = speck_density
        self.ink_edges = ink_edges
        self.line_strength = line_strength
        self.texture_radius = texture_radius
        self.texture_density = texture_density
        self.texture_gain = texture_gain
        self.texture_level = texture_level
        self.texture_step = texture_step

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Stylize a batch (N, 3, H, W) in [0, 1]."""
        # Filters here are tuned for, and cumsum needs, float32: opt out of any caller autocast.
        with torch.autocast(images.device.type, enabled=False):
            return self.stylize(images.float().contiguous())

    def stylize(self, x: torch.Tensor) -> torch.Tensor:
        """Stylize a contiguous float32 batch (N, 3, H, W) in [0, 1]; no autocast handling."""
        frame = self.frame(x)
        return self.render(frame, *self.plan(frame))

    def frame_key(self) -> tuple[object, ...]:
        """Parameters frame() depends on: passes with equal keys can share one CelFrame."""
        return (
            self.work_side,
            self.line_side,
            self.reference_contrast,
            self.contrast_gain,
            self.line_smooth_radius,
            self.line_smooth_eps,
            self.line_passes,
        )

    def frame(self, x: torch.Tensor) -> CelFrame:
        """The photo-only groundwork of a pass (luma, pooled grids, fine-line DoG)."""
        h, w = x.shape[-2:]
        k_colour = flt.pool_factor(h, w, self.work_side)
        k_line = flt.pool_factor(h, w, self.line_side)
        y_hi = flt.rgb_to_luma(x)
        y_mid = flt.downsample(y_hi, k_line)
        # Normalising by the image's own contrast lets dim, flat photos keep outlines a fixed
        # threshold would drop, and keeps busy high-contrast photos from drowning in ink.
        gain = flt.image_std(y_mid).div_(self.reference_contrast)
        gain = gain.clamp_(self.contrast_gain[0], self.contrast_gain[1]).reciprocal_()
        y_mid = y_mid.mul(gain)
        # Lightly smoothed luma keeps thin, strong structure such as rails, lattices, eyes that
        # flattening erases (plan() thresholds it high, so texture stays out).
        fine = flt.self_guided_filter(y_mid, self.line_smooth_radius, self.line_smooth_eps)
        return CelFrame(
            x_lo=flt.downsample(x, k_colour),
            y_hi=y_hi,
            y_mid=y_mid,
            gain=gain,
            fine_dog=self._dog(fine),
            k_colour=k_colour,
            k_line=k_line,
        )

    def plan(self, frame: CelFrame) -> tuple[torch.Tensor, torch.Tensor]:
        """Low-resolution results: colour coefficients (N, 7, ...) and the ink mask."""
        coef = self._colour_coefficients(frame.x_lo)
        y_mid = frame.y_mid
        # Line art needs only the flat image's luma: mix its coefficients while they are small.
        ab_y = torch.cat([flt.rgb_to_luma(coef[:, 0:3]), flt.rgb_to_luma(coef[:, 3:6])], dim=1)
        ab_y = flt.upsample(ab_y, frame.k_colour / frame.k_line, (y_mid.shape[-2], y_mid.shape[-1]))
        return coef, self._lines(frame, ab_y)

    def render(
        self,
        frame: CelFrame,
        coef: torch.Tensor,
        ink: torch.Tensor,
        rows: tuple[int, int] | None = None,
        cols: tuple[int, int] | None = None,
    ) -> torch.Tensor:
        """Full-resolution picture from plan()'s results, or only its rows x cols window.

        coef is (N, 7, ...): per-channel gains a, offsets b and the band weight; or (N, 5, ...):
        one gain shared by the channels, b and the band weight (two fewer planes to enlarge).
        """
        h, w = frame.y_hi.shape[-2:]
        rows, cols = rows or (0, h), cols or (0, w)
        # A few elementwise passes, done in place in the upsampled coefficient buffer (fresh
        # full-size allocations cost more in page faults than the arithmetic).
        coef = flt.upsample_region(coef, frame.k_colour, (h, w), rows, cols)
        y_hi = frame.y_hi[..., rows[0] : rows[1], cols[0] : cols[1]]
        if coef.shape[1] == 5:
            rgb = coef[:, 1:4].addcmul_(coef[:, 0:1], y_hi)
            spare, bands = coef[:, 0:1], coef[:, 4:5]
        else:
            rgb = coef[:, 0:3].mul_(y_hi).add_(coef[:, 3:6])
            spare, bands = coef[:, 3:4], coef[:, 6:7]
        lum = flt.rgb_to_luma(rgb)
        delta = self._quantize_delta(lum, out=spare).mul_(bands)
        # One luma delta added to all three channels moves brightness, never hue.
        rgb.add_(delta)
        ink = flt.upsample_region(ink, frame.k_line, (h, w), rows, cols)
        e0, e1 = self.ink_edges
        t = ink.sub_(e0).mul_(1.0 / (e1 - e0)).clamp_(0.0, 1.0)
        # smoothstep, then "1 - strength * ink" as the multiplier that darkens under the lines.
        shade = torch.mul(t, -2.0, out=bands).add_(3.0).mul_(t).mul_(t)
        rgb.mul_(shade.mul_(-self.line_strength).add_(1.0))
        return rgb.clamp_(0.0, 1.0).contiguous()

    def _colour_coefficients(self, x_lo: torch.Tensor) -> torch.Tensor:
        """Flatten colour at low resolution; return (a_rgb, b_rgb, band weight) to upsample."""
        ycc = flt.rgb_to_ycbcr(x_lo)
        y_lo = ycc[:, :1]
        # Chroma spans a much smaller range than luma; a shared eps would wash it across edges.
        ratio = self.chroma_eps_ratio
        eps = torch.tensor([1.0, ratio, ratio], device=x_lo.device).view(1, 3, 1, 1)
        eps = eps * self.smooth_eps
        smooth = ycc
        for _ in range(self.smooth_iters):
            smooth = flt.self_guided_filter(smooth, self.smooth_radius, eps)
        # Cel treatment (palette pull, luma bands) only where luma varies at object scale
        # (shading on a face, a fold); in broad smooth gradients such as skies, steps would
        # look like cheap posterization.
        slope = flt.box_filter(flt.gradient_magnitude(smooth[:, :1]), 1, inplace=True)
        cel = flt.smoothstep(self.band_slope[0], self.band_slope[1], slope)
        if self.palette_size > 0:
            smooth = self._palettize(smooth, cel)
        # Vibrance rather than saturation: dull colours gain most, already vivid ones little,
        # so skin stays skin and nothing clips to neon.
        chroma = torch.hypot(smooth[:, 1:2], smooth[:, 2:3])
        boost = (1.0 - chroma / self.vibrance_limit).clamp_(0.0, 1.0)
        smooth[:, 1:].mul_(boost.mul_(self.saturation - 1.0).add_(1.0))
        # Joint upsampling (He & Sun 2015): express the flat image as a local linear function of
        # the original luma, so full-size edges come from the full-size photo.
        a, b = flt.guided_coefficients(
            y_lo, flt.ycbcr_to_rgb(smooth), self.upsample_radius, self.upsample_eps
        )
        return torch.cat([a, b, cel], dim=1)

    def _palettize(self, ycc: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        """Pull each pixel toward a small per-image k-means palette (the cel "paint pots")."""
        cw = self.palette_chroma_weight
        weight = torch.tensor([1.0, cw, cw], device=ycc.device).view(1, 3, 1, 1)
        # The palette pull is a low-frequency correction: compute it at half size and enlarge.
        # The joint upsampling that follows re-snaps region borders to the photo's edges.
        half = flt.downsample(ycc, 2).mul_(weight)
        cent = flt.kmeans_palette(flt.downsample(half, 2), self.palette_size, self.palette_iters)
        # Soft assignment: a pixel half-way between two palette colours stays half-way, so
        # smooth gradients become a few soft steps instead of hard posterized contours.
        pull = flt.soft_palette_map(half, cent, self.palette_temperature).sub_(half)
        pull = flt.upsample(pull.div_(weight), 2, (ycc.shape[-2], ycc.shape[-1]))
        return torch.addcmul(ycc, pull, strength, value=self.palette_mix)

    def _quantize_delta(self, lum: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """Soft quantized luma minus luma (Winnemoeller et al. 2006), written into out."""
        step = 1.0 / self.levels
        nearest = (lum * self.levels).round_().mul_(step)
        soft = torch.sub(lum, nearest, out=out).mul_(self.quant_sharpness / step).tanh_()
        return soft.mul_(0.5 * step).add_(nearest).sub_(lum)

    def _dog(self, luma: torch.Tensor) -> torch.Tensor:
        """Outer minus inner binomial blur of a luma plane (line-art DoG, before thresholds)."""
        # Positive where a pixel is darker than its surround: the dark side of an edge, where an
        # artist puts the line.
        inner = flt.binomial_blur(luma, self.line_passes[0])
        return flt.binomial_blur(inner, self.line_passes[1]).sub_(inner)

    def _lines(self, frame: CelFrame, ab_y: torch.Tensor) -> torch.Tensor:
        """Ink mask (1 = ink) at line resolution: DoG on two smoothings of luma, specks removed.

        ab_y holds the flat image's luma coefficients (a, b) on the line grid.
        """
        # Source 1, the flattened image: texture-free outlines of colour regions (low threshold).
        # Source 2, frame.fine_dog: lightly smoothed luma (high threshold).
        flat = torch.addcmul(ab_y[:, 1:2] * frame.gain, ab_y[:, 0:1], frame.y_mid)
        flat_dog, fine_dog = self._dog(flat), frame.fine_dog
        if self.texture_gain > 0.0:
            # Thresholds rise in busy texture (knit, tweed, patterned cloth), so it paints flat
            # instead of printing a confetti of ink; lone outlines and folds are not busy.
            busy = self._texture(fine_dog)
            dog = flat_dog.sub_(busy.mul(self.texture_gain).add_(1.0).mul_(self.flat_threshold))
            # The fine threshold rises by an absolute step, not a multiple of itself: the
            # texture option lowers fine_threshold for more lines, and knit must stay painted.
            step = self.texture_gain * self.texture_step
            dog = torch.maximum(dog, fine_dog - busy.mul_(step).add_(self.fine_threshold))
        else:
            dog = flat_dog.sub_(self.flat_threshold)
            dog = torch.maximum(dog, fine_dog - self.fine_threshold)
        ink = torch.tanh(dog.mul_(self.line_phi)).clamp_(0.0, 1.0)
        # Isolated dots fill little of their neighbourhood; strokes fill a line's share of it.
        density = flt.box_filter(ink, self.speck_radius)
        return ink.mul_(flt.smoothstep(0.5 * self.speck_density, self.speck_density, density))

    def _texture(self, fine_dog: torch.Tensor) -> torch.Tensor:
        """How busy the texture is around each pixel: (N, 1, h, w) in [0, 1] on the line grid.

        The share of pixels within texture_radius whose fine DoG (luma units) exceeds
        texture_level (softly), smoothstepped over texture_density. Edge density as a texture cue, as
        in surround suppression (Grigorescu, Petkov and Westenberg 2003, "Contour detection
        based on nonclassical receptive field inhibition"): a lone outline or fold fills a
        stroke's width of its window (about 0.1-0.25 on the portraits at radius 10), a
        knit sweater's ribs and flecks fill 0.3-0.45 of it. The low level lets texture too
        faint to ink still count as texture, so its few strong flecks do not stand out.
        """
        # Absolute, not a share of fine_threshold: the texture option moves that threshold, and
        # fewer fine lines must not mean less texture found (the knit's specks would return).
        level = self.texture_level
        # A ramp (0 at level / 2, 1 at 1.5 level), not a step: a step would turn last-bit
        # differences (a batch's memory layout) into visible ones.
        edges = fine_dog.sub(0.5 * level).mul_(1.0 / level).clamp_(0.0, 1.0)
        density = flt.box_filter(edges, self.texture_radius, inplace=True)
        return flt.smoothstep(self.texture_density[0], self.texture_density[1], density)

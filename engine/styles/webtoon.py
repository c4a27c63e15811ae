"""The webtoon style: person-aware two-pass cel shading with a graded finish."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import torch

from engine.analysis import PersonAnalysis, PersonAnalyzer, build_analyzer
from engine.styles import filters as flt
from engine.styles.catalog import DESCRIPTIONS
from engine.styles.cel import CelFrame, CelPass
from engine.styles.grade import grade as apply_grade
from engine.styles.guides import GUIDE_CHANNELS, guide_maps
from engine.styles.options import OPTION_NAMES, StyleOptions
from engine.styles.portrait.compose import render_portrait
from engine.styles.portrait.drawing import Look
from engine.styles.portrait.plan import PORTRAIT_CHANNELS, FacePlan, plan_image, portrait_maps
from engine.styles.scenery import SceneryPass

__all__ = ["BACKGROUND_OVERRIDES", "PERSON_OVERRIDES", "WebtoonStyle"]

# People keep their shading and likeness: gentle palette pull, few texture lines on the skin,
# and busy cloth texture (knit, tweed) painted flat: its edges would print as black specks.
# (Their fine-line threshold comes from the texture option: person_fine_threshold.)
PERSON_OVERRIDES: dict[str, Any] = {
    "smooth_eps": 0.006,
    "texture_gain": 3.0,
}
# Backgrounds are painted scenery (scenery.py), not the person's cel pass; these are its
# keyword defaults here (none yet: texture and vividness come from the options).
BACKGROUND_OVERRIDES: dict[str, Any] = {}


def vividness(color: float) -> float:
    """The `color` option (0..1) as the scenery's target saturation ratio (0.8..1.4)."""
    return 0.8 + 0.6 * color


def person_fine_threshold(texture: float) -> float:
    """The `texture` option (0..1) as the person pass's threshold for fine lines (hair strands,
    folds): 0.035 at 0 (few), 0.02 at 0.5 (the default look), 0.005 at 1 (many)."""
    # Rounded so the default texture gives exactly 0.02, the threshold the look was tuned at.
    return round(0.035 - 0.03 * texture, 6)


def person_saturation(color: float) -> float:
    """The `color` option (0..1) as the person pass's vibrance gain (1.0..1.6; 1.3 at 0.5)."""
    return 1.0 + 0.6 * color


DEFAULT_TEXTURE = 0.5
DEFAULT_COLOR = 0.5
# Option variants kept built per style (each is a few small objects; the analyzer is shared).
MAX_VARIANTS = 16

# Guide values within this of 0 count as absent (and within it of 1 as full, in _banded).
PRESENT = 1e-3
# Rows per band in the CPU blend: few enough bands to keep per-call overhead small, narrow
# enough for the column spans to follow a person's outline.
BAND_ROWS = 128


def _widen(maps: np.ndarray, channels: int) -> np.ndarray:
    """Guide maps padded with zero channels up to `channels`."""
    out = np.zeros((channels, *maps.shape[1:]), np.float32)
    out[: maps.shape[0]] = maps
    return out


def _span(flags: torch.Tensor) -> tuple[int, int] | None:
    """First and one-past-last index where a (1, 1, W) bool row is set, or None."""
    idx = torch.nonzero(flags.flatten())
    if idx.numel() == 0:
        return None
    return int(idx[0]), int(idx[-1]) + 1


class WebtoonStyle:
    """Person-aware webtoon look (the WebtoonMe recipe) on top of CelPass.

    People (a soft mask from PersonAnalyzer) get a gentle cel pass, the background a flatter one;
    the two are blended through the feathered mask, and a colour grade finishes the whole
    picture. Faces the portrait renderer can draw (engine/styles/portrait) are warped toward
    webtoon proportions and drawn from their face mesh: painted skin and hair, inked eyes,
    brows, nose and lips. Faces it cannot draw keep the photo's own detail in eyes, brows and
    mouth. Without an analyzer (face models unavailable, or person_aware=False) the whole image gets
    the default pass.

    Keyword parameters: person_aware, analyzer_factory, person / background (CelPass keyword
    overrides for each pass), detail_strength (0..1, how much photo detail the parts of undrawn
    faces keep), grade (0..1, strength of the finishing S-curve and warm/cool split), portrait
    (draw faces from the mesh), warp (0..1, strength of the proportion warp; 0 = none), look
    (the drawing's Look); every other keyword is a CelPass parameter shared by all passes.
    """

    name = "webtoon"
    option_names: tuple[str, ...] = OPTION_NAMES
    description = DESCRIPTIONS["webtoon"]
    needs_exact_size = False

    def __init__(
        self,
        *,
        person_aware: bool = True,
        analyzer_factory: Callable[[], PersonAnalyzer | None] = build_analyzer,
        person: Mapping[str, Any] | None = None,
        background: Mapping[str, Any] | None = None,
        detail_strength: float = 0.7,
        grade: float = 1.0,
        portrait: bool = True,
        warp: float = 0.5,
        look: Look | None = None,
        texture: float = DEFAULT_TEXTURE,
        color: float = DEFAULT_COLOR,
        **params: Any,
    ) -> None:
        if not (0.0 <= detail_strength <= 1.0 and 0.0 <= grade <= 1.0 and 0.0 <= warp <= 1.0):
            raise ValueError("detail_strength, grade and warp must lie in [0, 1]")
        if not (0.0 <= texture <= 1.0 and 0.0 <= color <= 1.0):
            raise ValueError("texture and color must lie in [0, 1]")
        self.texture = texture
        self.color = color
        self._settings: dict[str, Any] = {
            "person_aware": person_aware,
            "person": person,
            "background": background,
            "detail_strength": detail_strength,
            "grade": grade,
            "portrait": portrait,
            "warp": warp,
            "look": look,
            **params,
        }
        self._variants: dict[StyleOptions, WebtoonStyle] = {}
        self.portrait = portrait
        self.warp = warp
        self.look = look if look is not None else Look()
        # The scenery aims its saturation at the picture after this style's grade.
        scenery = {"texture": texture, "vividness": vividness(color), "grade": grade}
        self.person_pass = CelPass(
            **{
                "saturation": person_saturation(color),
                "fine_threshold": person_fine_threshold(texture),
                **params,
                **PERSON_OVERRIDES,
                **(person or {}),
            }
        )
        self.background_pass = SceneryPass(
            **{**scenery, **params, **BACKGROUND_OVERRIDES, **(background or {})}
        )
        # Without a person mask the whole picture is treated as scenery.
        self.whole = self.background_pass
        self.person_aware = person_aware
        self.detail_strength = detail_strength
        self.grade = grade
        self._factory = analyzer_factory
        self._lock = threading.Lock()
        self._resolved = False
        self._analyzer: PersonAnalyzer | None = None
        self._pool: ThreadPoolExecutor | None = None

    def with_options(self, options: StyleOptions) -> WebtoonStyle:
        """This look with the request's texture / color (ConfigurableStyle); variants are
        cached (at most MAX_VARIANTS) and share this style's analyzer."""
        texture = self.texture if options.texture is None else options.texture
        color = self.color if options.color is None else options.color
        if texture == self.texture and color == self.color:
            return self
        key = StyleOptions(texture=texture, color=color)
        with self._lock:
            variant = self._variants.get(key)
            if variant is None:
                if len(self._variants) >= MAX_VARIANTS:
                    self._variants.pop(next(iter(self._variants)))
                variant = type(self)(
                    **{**self._settings, "analyzer_factory": self.analyzer},
                    texture=texture,
                    color=color,
                )
                self._variants[key] = variant
        return variant

    def analyzer(self) -> PersonAnalyzer | None:
        """The analyzer, built on first use (never at import or construction time)."""
        if not self.person_aware:
            return None
        with self._lock:
            if not self._resolved:
                self._analyzer = self._factory()
                self._resolved = True
        return self._analyzer

    def prepare(
        self,
        images: Sequence[np.ndarray],
        analyses: Sequence[PersonAnalysis | None] | None = None,
    ) -> list[np.ndarray] | None:
        """Per-image guide maps (C, H, W) float32 from HxWx3 uint8 RGB images.

        analyses: optional per-image PersonAnalysis (e.g. temporally smoothed by the video
        path) used instead of analysing the image here. C is GUIDE_CHANNELS, or GUIDE_CHANNELS +
        PORTRAIT_CHANNELS for every image of the batch when any of them has a face to draw.
        """
        analyzer = self.analyzer()
        if analyzer is None:
            return None
        given = list(analyses) if analyses is not None else [None] * len(images)

        def one(img: np.ndarray, known: PersonAnalysis | None) -> np.ndarray:
            analysis = known if known is not None else analyzer.analyze(img)
            return self._maps(img, analysis)

        if len(images) < 2:
            maps = [one(img, an) for img, an in zip(images, given, strict=True)]
        else:
            # Analysis is CPU work per image; on a GPU box it would otherwise serialise the
            # batch (H200: 68 -> 37 img/s at 1024). The analyzer keeps one graph set per thread.
            maps = list(self._analysis_pool().map(one, images, given))
        # One channel count per batch; zero portrait channels draw nothing, exactly.
        full = GUIDE_CHANNELS + PORTRAIT_CHANNELS
        if any(m.shape[0] == full for m in maps):
            maps = [m if m.shape[0] == full else _widen(m, full) for m in maps]
        return maps

    def face_plans(self, image: np.ndarray) -> tuple[int, list[FacePlan]]:
        """(faces found, the faces drawn) in an HxWx3 uint8 RGB image, as __call__ draws them.

        Each FacePlan holds the landmarks (478, 2) in the photo (source) and where the face is
        drawn after the proportion warp (target), in pixels. For measuring and debugging; the
        analysis is run again.
        """
        analyzer = self.analyzer()
        if analyzer is None or not self.portrait:
            return 0, []
        faces = analyzer.analyze(image).faces
        return len(faces), plan_image(image, faces, self.warp)[1]

    def face_counts(self, image: np.ndarray) -> tuple[int, int]:
        """(faces found, faces drawn) in an HxWx3 uint8 RGB image."""
        found, plans = self.face_plans(image)
        return found, len(plans)

    def _maps(self, img: np.ndarray, analysis: PersonAnalysis) -> np.ndarray:
        h, w = img.shape[:2]
        if not self.portrait:
            return guide_maps(analysis, h, w)
        # One allocation for both blocks: at 1024 px the stack is ~35 MB, worth not copying.
        maps = np.zeros((GUIDE_CHANNELS + PORTRAIT_CHANNELS, h, w), np.float32)
        undrawn = portrait_maps(img, analysis, self.look, self.warp, out=maps[GUIDE_CHANNELS:])
        if undrawn is None:
            return guide_maps(analysis, h, w)
        # Drawn faces get no photo detail back: the drawing replaces it.
        guide_maps(
            PersonAnalysis(analysis.person_mask, tuple(undrawn)), h, w, out=maps[:GUIDE_CHANNELS]
        )
        return maps

    def _analysis_pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                workers = min(8, os.cpu_count() or 1)
                self._pool = ThreadPoolExecutor(workers, thread_name_prefix="toonbot-analysis")
            return self._pool

    def __call__(self, images: torch.Tensor, guides: torch.Tensor | None = None) -> torch.Tensor:
        """Stylize a batch (N, 3, H, W) in [0, 1]; guides (N, GUIDE_CHANNELS, H, W) if prepared."""
        with torch.autocast(images.device.type, enabled=False):
            x = images.float().contiguous()
            if guides is None:
                guides = self._guides_for(x)
            if guides is None:
                return self._finish(self.whole.stylize(x))
            guides = guides.to(x.device, torch.float32)
            if guides.shape[1] > GUIDE_CHANNELS:
                out, skin = render_portrait(
                    x,
                    guides[:, :GUIDE_CHANNELS],
                    guides[:, GUIDE_CHANNELS:],
                    self._two_pass,
                    self.look.ink,
                )
                return self._finish(out, skin)
            return self._finish(self._two_pass(x, guides))

    def _guides_for(self, x: torch.Tensor) -> torch.Tensor | None:
        # Direct callers (tests, docs, scripts) hand over tensors; the worker calls prepare().
        if self.analyzer() is None:
            return None
        u8 = x.mul(255.0).round_().clamp_(0, 255).to(torch.uint8).permute(0, 2, 3, 1).cpu()
        maps = self.prepare([np.ascontiguousarray(im) for im in u8.numpy()])
        if not maps:
            return None
        stacked = maps[0][None] if len(maps) == 1 else np.stack(maps)
        return torch.from_numpy(stacked).to(x.device)

    def _two_pass(self, x: torch.Tensor, guides: torch.Tensor) -> torch.Tensor:
        person = guides[:, 0:1]
        detail = guides[:, 1:2]
        if not bool((person > PRESENT).any()):
            out = self.background_pass.stylize(x)
        elif x.device.type == "cpu":
            # Image by image, so each image's bands depend on its own mask only.
            outs = [self._banded(x[i : i + 1], person[i : i + 1]) for i in range(len(x))]
            out = outs[0] if len(outs) == 1 else torch.cat(outs)
        else:
            bg_frame, fg_frame = self._frames(x)
            out = self.background_pass.render(bg_frame, *self.background_pass.plan(bg_frame))
            fg = self.person_pass.render(fg_frame, *self.person_pass.plan(fg_frame))
            # out = bg + m * (fg - bg); exact bg where the mask is zero, so batching never
            # changes an image's result.
            out.addcmul_(person, fg.sub_(out))
        if self.detail_strength > 0 and bool((detail > PRESENT).any()):
            out = self._keep_detail(x, out, detail)
        return out

    def _frames(self, x: torch.Tensor) -> tuple[CelFrame, CelFrame]:
        """Background and person frames: one shared when the passes' line settings agree."""
        bg_frame = self.background_pass.frame(x)
        if self.person_pass.frame_key() == self.background_pass.frame_key():
            return bg_frame, bg_frame
        return bg_frame, self.person_pass.frame(x)

    def _banded(self, x: torch.Tensor, person: torch.Tensor) -> torch.Tensor:
        """The blend of both passes for one image, each rendered at full size only where needed.

        Band by band, the person look is rendered over the columns where the mask exceeds
        PRESENT and the background look where it is below 1 - PRESENT; elsewhere the blend
        weight is within PRESENT of 0 or 1, so a pixel changes by at most PRESENT (1/4 of a
        uint8 level). On a portrait this skips about a third of the full-size work.
        """
        bg_pass, fg_pass = self.background_pass, self.person_pass
        bg_frame, fg_frame = self._frames(x)
        bg_plan, fg_plan = bg_pass.plan(bg_frame), fg_pass.plan(fg_frame)
        h = x.shape[-2]
        out = torch.empty_like(x)
        for r0 in range(0, h, BAND_ROWS):
            rows = (r0, min(h, r0 + BAND_ROWS))
            mask = person[..., rows[0] : rows[1], :]
            band = out[..., rows[0] : rows[1], :]
            # Written as "not nearly 1" so a NaN column still gets a look rendered, never garbage.
            bg_cols = _span(~(mask.amin(dim=-2) >= 1.0 - PRESENT))
            fg_cols = _span(mask.amax(dim=-2) > PRESENT)
            if bg_cols is not None:
                band[..., bg_cols[0] : bg_cols[1]] = bg_pass.render(
                    bg_frame, *bg_plan, rows, bg_cols
                )
            if fg_cols is None:
                continue
            fg = fg_pass.render(fg_frame, *fg_plan, rows, fg_cols)
            win = band[..., fg_cols[0] : fg_cols[1]]
            # Columns without a background render start from fg, so the blend keeps fg there.
            b0, b1 = bg_cols if bg_cols is not None else (fg_cols[1], fg_cols[1])
            start, stop = fg_cols[0], fg_cols[1]
            if start < b0:
                win[..., : min(b0, stop) - start] = fg[..., : min(b0, stop) - start]
            if b1 < stop:
                win[..., max(b1, start) - start :] = fg[..., max(b1, start) - start :]
            win.addcmul_(mask[..., start:stop], fg.sub_(win))
        return out

    def _keep_detail(
        self, x: torch.Tensor, out: torch.Tensor, detail: torch.Tensor
    ) -> torch.Tensor:
        """Give eyes, brows and mouth the photo's own structure back, lightly cleaned."""
        # Work on the batch's union box of face parts only, grown by more than the filter's
        # reach (2 px) so every image gets exactly the result it would get alone.
        rows = torch.nonzero((detail > PRESENT).any(dim=0).any(dim=0).any(dim=1)).flatten()
        cols = torch.nonzero((detail > PRESENT).any(dim=0).any(dim=0).any(dim=0)).flatten()
        h, w = x.shape[-2:]
        r0, r1 = max(0, int(rows[0]) - 4), min(h, int(rows[-1]) + 5)
        c0, c1 = max(0, int(cols[0]) - 4), min(w, int(cols[-1]) + 5)
        box = (..., slice(r0, r1), slice(c0, c1))
        # A small edge-preserving smoothing cleans skin noise but keeps iris, pupil, lashes and
        # catch-lights, which the flat passes would freeze into a stare.
        clean = flt.self_guided_filter(x[box].contiguous(), 1, 1e-3)
        region = out[box]
        region.addcmul_(detail[box].mul(self.detail_strength), clean.sub_(region))
        return out

    def _finish(self, rgb: torch.Tensor, protect: torch.Tensor | None = None) -> torch.Tensor:
        """Colour grade: a gentle luma S-curve plus warm highlights and cool shadows.

        protect (N, 1, H, W) in [0, 1]: painted skin, graded only lightly so its tone stays
        the person's own (the S-curve darkens mid-dark skin and the cool split greys it).
        """
        if self.grade > 0:
            strength: torch.Tensor | float = self.grade
            if protect is not None:
                strength = protect.mul(-0.85).add_(1.0).mul_(self.grade)
            apply_grade(rgb, strength)
        return rgb.clamp_(0.0, 1.0).contiguous()

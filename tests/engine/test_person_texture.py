"""The person pass paints busy cloth texture flat (no ink specks) and keeps outlines and folds."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from engine.styles.cel import CelPass
from engine.styles.guides import GUIDE_CHANNELS
from engine.styles.webtoon import WebtoonStyle

SIZE = 512


class Scene:
    """A synthetic half-length figure on a light backdrop, built in code.

    The torso (a half ellipse, the person mask) is knit on its left half: dark grey with fine
    high-contrast noise and light flecks, like the sweater in unsplash_man_dark_backdrop.jpg.
    Its right half is plain cloth with one soft dark fold.
    """

    def __init__(self) -> None:
        h = w = SIZE
        rng = np.random.default_rng(3)
        noise = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 1.0)
        flecks = cv2.GaussianBlur((rng.random((h, w)) < 0.03).astype(np.float32), (0, 0), 0.7)
        knit = 0.25 + 0.14 * noise / noise.std() + 0.4 * flecks / flecks.max()
        person = np.zeros((h, w), np.float32)
        cv2.ellipse(person, (w // 2, h), (int(0.42 * w), int(0.8 * h)), 0, 180, 360, 1.0, -1)
        self.person = person
        body = person > 0
        left = np.zeros_like(body)
        left[:, : w // 2] = True
        crease = np.zeros((h, w), np.float32)
        cv2.line(crease, (int(0.62 * w), int(0.45 * h)), (int(0.75 * w), int(0.9 * h)), 1.0, 3)
        fold = cv2.GaussianBlur(crease, (0, 0), 1.0)
        luma = np.full((h, w), 0.85, np.float32)
        luma[body & left] = knit[body & left]
        plain = body & ~left
        luma[plain] = 0.45 - 0.3 * fold[plain]
        rgb = np.stack([luma, luma * 0.97, luma * 0.93], axis=-1).clip(0.0, 1.0)
        self.rgb = (rgb * 255.0).round().astype(np.uint8)
        # Where to look: the knit away from its borders, the fold's core, and the torso's
        # outline against the backdrop beside the plain cloth.
        kernel = np.ones((9, 9), np.uint8)
        self.knit = cv2.erode((body & left).astype(np.uint8), kernel).astype(bool)
        self.fold = fold > 0.5
        ring = np.ones((5, 5), np.uint8)
        b8 = body.astype(np.uint8)
        self.outline = (cv2.dilate(b8, ring) > cv2.erode(b8, ring)) & ~left

    def luma(self, **person: object) -> np.ndarray:
        """Output luma (H, W) in [0, 1] of the webtoon two-pass look with these person-pass
        overrides, this scene's person mask as the guide and no grade."""
        style = WebtoonStyle(person_aware=False, person=person or None, grade=0.0)
        x = torch.from_numpy(self.rgb).permute(2, 0, 1)[None].float().div(255.0)
        guides = torch.zeros(1, GUIDE_CHANNELS, SIZE, SIZE)
        guides[0, 0] = torch.from_numpy(self.person)
        with torch.inference_mode():
            out = style(x, guides)
        return out[0].mean(dim=0).numpy()


def _small_fragments(mask: np.ndarray, region: np.ndarray, below: int = 30) -> int:
    """8-connected components of mask smaller than `below` px whose centroid lies in region."""
    n, _, stats, centroids = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    at = centroids[1:n].round().astype(int)
    inside = region[at[:, 1].clip(0, SIZE - 1), at[:, 0].clip(0, SIZE - 1)]
    return int(((stats[1:n, cv2.CC_STAT_AREA] < below) & inside).sum())


@pytest.fixture(scope="module")
def scene() -> Scene:
    return Scene()


@pytest.fixture(scope="module")
def inks(scene: Scene) -> dict[str, np.ndarray]:
    """Ink masks (H, W) bool: where line art darkens the picture by more than 0.1, today's
    person pass and the pass without texture suppression (texture_gain 0, as before)."""
    bare = scene.luma(line_strength=0.0)
    return {
        "today": (bare - scene.luma()) > 0.1,
        "before": (bare - scene.luma(texture_gain=0.0)) > 0.1,
    }


def test_knit_texture_is_painted_not_specked(scene: Scene, inks: dict[str, np.ndarray]) -> None:
    before, today = inks["before"], inks["today"]
    # Measured: 27 % of the knit inked in ~900 specks before, 3.5 % in ~350 now.
    assert before[scene.knit].mean() > 0.15  # the scene shows the defect
    assert today[scene.knit].mean() <= 0.25 * before[scene.knit].mean()
    assert _small_fragments(today, scene.knit) <= 0.5 * _small_fragments(before, scene.knit)


def test_fold_and_outline_still_draw(scene: Scene, inks: dict[str, np.ndarray]) -> None:
    before, today = inks["before"], inks["today"]
    # Measured: 63 % of the fold's core and 33 % of the outline ring inked, before and now.
    assert today[scene.fold].mean() > 0.4
    assert today[scene.fold].mean() >= 0.95 * before[scene.fold].mean()
    assert today[scene.outline].mean() >= 0.95 * before[scene.outline].mean() > 0.2


def test_texture_suppression_leaves_plain_structure_exactly_alone() -> None:
    # A smooth gradient with a few dark strokes has no busy texture: the same ink as without.
    ramp = np.linspace(0.3, 0.8, 256, dtype=np.float32)[None].repeat(256, axis=0)
    for col in (60, 130, 200):
        ramp[40:220, col : col + 3] = 0.1
    x = torch.from_numpy(ramp)[None, None].expand(1, 3, 256, 256).contiguous()
    with torch.inference_mode():
        plain = CelPass(texture_gain=0.0)(x)
        suppressed = CelPass(texture_gain=3.0)(x)
    assert torch.equal(plain, suppressed)


def test_the_texture_option_sets_how_many_fine_lines_people_get(scene: Scene) -> None:
    x = torch.from_numpy(scene.rgb).permute(2, 0, 1)[None].float().div(255.0)
    guides = torch.zeros(1, GUIDE_CHANNELS, SIZE, SIZE)
    guides[0, 0] = torch.from_numpy(scene.person)

    def ink(texture: float) -> float:
        style = WebtoonStyle(person_aware=False, grade=0.0, texture=texture)
        bare = WebtoonStyle(
            person_aware=False, grade=0.0, texture=texture, person={"line_strength": 0.0}
        )
        with torch.inference_mode():
            drawn = style(x, guides)[0].mean(dim=0).numpy()
            plain = bare(x, guides)[0].mean(dim=0).numpy()
        return float(((plain - drawn) > 0.1)[scene.person > 0].mean())

    assert WebtoonStyle(texture=0.5).person_pass.fine_threshold == 0.02  # the tuned default
    few, usual, many = ink(0.0), ink(0.5), ink(1.0)
    assert few < usual < many

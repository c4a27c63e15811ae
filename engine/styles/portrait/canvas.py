"""Anti-aliased vector drawing into a premultiplied RGBA layer (OpenCV rasterization).

Coordinates are float image pixels (x, y); shapes are rasterized with OpenCV's anti-aliased
polygon fill at 1/16 px precision and composited with the Porter-Duff "over" operator on a
premultiplied float32 layer. Everything works inside a region of interest, so drawing one face
costs in proportion to that face, not to the image.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["Layer", "smooth_polyline", "stroke_outline"]

_SHIFT = 4  # OpenCV's fractional bits: coordinates are rasterized at 1/16 px
# Strokes thinner than this (pixels) are not drawn.
MIN_WIDTH = 0.25
_ONE = 1 << _SHIFT


def smooth_polyline(points: np.ndarray, iterations: int = 2, closed: bool = False) -> np.ndarray:
    """Chaikin corner cutting: a (K, 2) polyline made smooth, (about 2^it * K, 2) float32.

    Open polylines keep their end points (so lid lines still meet at the eye corners).
    After G. Chaikin, "An algorithm for high-speed curve generation", CGIP 1974.
    """
    pts = np.asarray(points, np.float32)
    for _ in range(iterations):
        if len(pts) < 3:
            break
        nxt = np.roll(pts, -1, axis=0) if closed else pts[1:]
        cur = pts if closed else pts[:-1]
        q = 0.75 * cur + 0.25 * nxt
        r = 0.25 * cur + 0.75 * nxt
        mid = np.stack([q, r], axis=1).reshape(-1, 2)
        pts = mid if closed else np.concatenate([pts[:1], mid, pts[-1:]])
    return pts


def stroke_outline(points: np.ndarray, widths: np.ndarray | float) -> np.ndarray:
    """Polygon (2K, 2) of a stroke of varying width along a (K, 2) polyline.

    widths: full widths in pixels, one per point or a scalar; a width of 0 makes a pointed end.
    """
    pts = np.asarray(points, np.float32)
    w = np.broadcast_to(np.asarray(widths, np.float32), (len(pts),))
    tangent = np.gradient(pts, axis=0) if len(pts) > 1 else np.array([[1.0, 0.0]], np.float32)
    norm = np.linalg.norm(tangent, axis=1, keepdims=True)
    tangent = tangent / np.maximum(norm, 1e-6)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
    half = (w / 2.0)[:, None] * normal
    return np.concatenate([pts + half, (pts - half)[::-1]]).astype(np.float32)


class Layer:
    """A premultiplied RGBA float32 drawing (H, W, 4) over a region of interest of an image.

    ``box`` is (x0, y0, x1, y1) in image pixels, clipped to the image; drawing calls take
    image coordinates. ``rgba`` holds premultiplied colour in [0, 1] and coverage in [0, 1].
    """

    def __init__(self, box: tuple[int, int, int, int]) -> None:
        x0, y0, x1, y1 = box
        self.box = box
        self.rgba = np.zeros((max(0, y1 - y0), max(0, x1 - x0), 4), np.float32)

    @property
    def empty(self) -> bool:
        """Whether the region has no pixels."""
        return self.rgba.shape[0] == 0 or self.rgba.shape[1] == 0

    def coverage(self, polygons: list[np.ndarray]) -> np.ndarray:
        """Anti-aliased coverage (h, w) float32 in [0, 1] of filled polygons (even-odd free)."""
        h, w = self.rgba.shape[:2]
        mask = np.zeros((h, w), np.uint8)
        if self.empty:
            return mask.astype(np.float32)
        # OpenCV samples pixel (i, j) at the integer point; landmarks put pixel centres at +0.5.
        origin = np.array(self.box[:2], np.float32) + 0.5
        fixed = [
            np.round((np.asarray(p, np.float32) - origin) * _ONE).astype(np.int32)
            for p in polygons
            if len(p) >= 3
        ]
        for poly in fixed:
            cv2.fillPoly(mask, [poly], 255, lineType=cv2.LINE_AA, shift=_SHIFT)
        return mask.astype(np.float32) * (1.0 / 255.0)

    def disc_coverage(self, centre: np.ndarray, radius: float) -> np.ndarray:
        """Anti-aliased coverage (h, w) float32 of a disc, exact to the pixel area (1 px ramp)."""
        h, w = self.rgba.shape[:2]
        ys = np.arange(h, dtype=np.float32)[:, None] + self.box[1] + 0.5
        xs = np.arange(w, dtype=np.float32)[None, :] + self.box[0] + 0.5
        dist = np.sqrt((xs - centre[0]) ** 2 + (ys - centre[1]) ** 2)
        return np.asarray(np.clip(radius - dist + 0.5, 0.0, 1.0), np.float32)

    def paint(self, coverage: np.ndarray, colour: np.ndarray, alpha: float = 1.0) -> None:
        """Composite a flat colour (3,) in [0, 1] through coverage (h, w) "over" the layer."""
        self.paint_map(coverage * np.float32(alpha), np.asarray(colour, np.float32))

    def paint_map(self, coverage: np.ndarray, colours: np.ndarray) -> None:
        """Composite colours ((h, w, 3) or (3,)) through coverage (h, w) "over" the layer."""
        # Only the shape's own bounding box is touched: a lash costs a lash, not a face.
        rows = np.flatnonzero(coverage.any(axis=1))
        cols = np.flatnonzero(coverage.any(axis=0))
        if rows.size == 0:
            return
        box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
        a = coverage[box]
        dst = self.rgba[box]
        col = colours[box] if colours.ndim == 3 else colours
        inv = 1.0 - a
        dst[..., :3] *= inv[..., None]
        dst[..., :3] += a[..., None] * col
        dst[..., 3] = dst[..., 3] * inv + a

    def fill(self, polygon: np.ndarray, colour: np.ndarray, alpha: float = 1.0) -> np.ndarray:
        """Fill one polygon (K, 2); returns its coverage for reuse (clipping, shading)."""
        cov = self.coverage([polygon])
        self.paint(cov, colour, alpha)
        return cov

    def stroke(
        self,
        points: np.ndarray,
        widths: np.ndarray | float,
        colour: np.ndarray,
        alpha: float = 1.0,
    ) -> None:
        """Draw a tapered stroke along a polyline (widths in pixels, per point or scalar).

        Where the width falls below MIN_WIDTH the stroke is cut: a polygon of no area would
        still leave OpenCV's anti-aliased one-pixel edge behind.
        """
        pts = np.asarray(points, np.float32)
        w = np.broadcast_to(np.asarray(widths, np.float32), (len(pts),))
        if len(pts) < 2:
            return
        keep = w >= MIN_WIDTH
        # Each run of kept points, with one neighbour on each side so tapers end in a point.
        polys = []
        i = 0
        while i < len(pts):
            if not keep[i]:
                i += 1
                continue
            j = i
            while j < len(pts) and keep[j]:
                j += 1
            a, b = max(0, i - 1), min(len(pts), j + 1)
            if b - a >= 2:
                polys.append(stroke_outline(pts[a:b], np.where(keep[a:b], w[a:b], 0.0)))
            i = j
        if polys:
            self.paint(self.coverage(polys), colour, alpha)

    def grid(self) -> tuple[np.ndarray, np.ndarray]:
        """Pixel-centre coordinates (xs (1, w), ys (h, 1)) of the region, in image pixels."""
        h, w = self.rgba.shape[:2]
        xs = np.arange(w, dtype=np.float32)[None, :] + self.box[0] + 0.5
        ys = np.arange(h, dtype=np.float32)[:, None] + self.box[1] + 0.5
        return xs, ys

    def part(self, points: np.ndarray, margin: float) -> Layer:
        """An empty layer over the box of points grown by margin px, inside this one's box."""
        x0, y0 = np.floor(points.min(axis=0) - margin).astype(int)
        x1, y1 = np.ceil(points.max(axis=0) + margin).astype(int) + 1
        bx0, by0, bx1, by1 = self.box
        box = (max(bx0, int(x0)), max(by0, int(y0)), min(bx1, int(x1)), min(by1, int(y1)))
        return Layer((box[0], box[1], max(box[0], box[2]), max(box[1], box[3])))

    def merge(self, part: Layer) -> None:
        """Composite a layer made by part() "over" this one."""
        if part.empty:
            return
        x0, y0, x1, y1 = part.box
        ox, oy = self.box[:2]
        dst = self.rgba[y0 - oy : y1 - oy, x0 - ox : x1 - ox]
        dst *= 1.0 - part.rgba[..., 3:4]
        dst += part.rgba

    def blit(self, target: np.ndarray) -> None:
        """Composite this layer "over" a full-image premultiplied RGBA array (4, H, W)."""
        if self.empty:
            return
        x0, y0, x1, y1 = self.box
        dst = target[:, y0:y1, x0:x1]
        src = self.rgba.transpose(2, 0, 1)
        dst *= 1.0 - src[3:4]
        dst += src

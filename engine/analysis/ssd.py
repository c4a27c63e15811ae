"""Single-shot detector (SSD) post-processing for mediapipe's face detectors, in numpy.

Reimplements, from mediapipe's public graphs and calculator options (Apache-2.0):

- anchors: SsdAnchorsCalculator (mediapipe/calculators/tflite/ssd_anchors_calculator.cc) with
  the options of mediapipe/modules/face_detection/face_detection_full_range.pbtxt and
  face_detection.pbtxt (one layer of stride 4 on a 192 px input, fixed anchor size, one anchor
  per cell: 48 x 48 = 2304 anchors);
- decoding: TensorsToDetectionsCalculator (mediapipe/calculators/tensor/
  tensors_to_detections_calculator.cc): box centre and size relative to each anchor, scaled by
  the input size, six keypoints, sigmoid scores clipped to +-100 first;
- non-maximum suppression: NonMaxSuppressionCalculator with algorithm WEIGHTED and intersection
  over union above 0.3 (mediapipe/calculators/util/non_max_suppression_calculator.cc);
- letterbox removal: DetectionProjectionCalculator after ImageToTensorCalculator with
  keep_aspect_ratio (the image fitted into the square input, centred, zero border).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "FULL_RANGE",
    "AnchorOptions",
    "Detections",
    "decode",
    "remove_letterbox",
    "ssd_anchors",
    "weighted_nms",
]


@dataclass(frozen=True)
class AnchorOptions:
    """SsdAnchorsCalculatorOptions as mediapipe's face detectors set them (fixed anchor size,
    aspect ratio 1), plus the decoding scale (= input side) and the detector's score threshold.
    anchors_per_layer: 1, or 2 with interpolated_scale_aspect_ratio 1.0 (an extra anchor at the
    geometric mean of this layer's and the next layer's scale)."""

    input_size: int
    strides: tuple[int, ...]
    min_score: float
    anchors_per_layer: int = 1
    anchor_offset: float = 0.5
    num_keypoints: int = 6


# face_detection_full_range.pbtxt: 192 px, one layer of stride 4, min_score_thresh 0.6. The
# node sets 0.6 itself, so mediapipe's Python min_detection_confidence=0.5 never applied
# (measured: its detections on a crowd are exactly ours at 0.6, none between 0.5 and 0.6).
FULL_RANGE = AnchorOptions(input_size=192, strides=(4,), min_score=0.6, anchors_per_layer=1)


def ssd_anchors(options: AnchorOptions) -> np.ndarray:
    """Anchor centres (N, 2) as (x, y) in [0, 1], in the model's output order.

    Consecutive layers with the same stride share one grid, each cell holding
    options.anchors_per_layer anchors per layer (full range: 48 x 48 x 1 = 2304; short range:
    16 x 16 x 2 + 8 x 8 x 6 = 896). Fixed anchor size: every anchor is 1 x 1, so only centres
    matter.
    """
    centres: list[np.ndarray] = []
    strides = options.strides
    layer = 0
    while layer < len(strides):
        repeats = 0
        stride = strides[layer]
        while layer < len(strides) and strides[layer] == stride:
            repeats += options.anchors_per_layer
            layer += 1
        side = -(-options.input_size // stride)
        ys, xs = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
        grid = (np.stack([xs.ravel(), ys.ravel()], axis=1) + options.anchor_offset) / side
        centres.append(np.repeat(grid.astype(np.float32), repeats, axis=0))
    return np.concatenate(centres, axis=0)


@dataclass(frozen=True)
class Detections:
    """Decoded detections, relative to the detector's square input ([0, 1] inside it).

    boxes: (N, 4) float32 (x0, y0, x1, y1); keypoints: (N, K, 2) float32 (x, y) (mediapipe's
    face keypoints: 0 and 1 the eyes as seen, 2 nose tip, 3 mouth, 4 and 5 the ear regions);
    scores: (N,) float32 in [0, 1].
    """

    boxes: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)

    def take(self, index: np.ndarray | list[int]) -> Detections:
        """The detections at `index` (an index array or boolean mask)."""
        return Detections(self.boxes[index], self.keypoints[index], self.scores[index])


def decode(
    raw_boxes: np.ndarray, raw_scores: np.ndarray, anchors: np.ndarray, options: AnchorOptions
) -> Detections:
    """The detections above options.min_score from the model's raw outputs.

    raw_boxes: (N, 4 + 2K) per anchor: x and y offsets of the box centre, width and height, then
    K keypoint (x, y), all in input pixels relative to the anchor centre (reverse_output_order:
    x before y). raw_scores: (N,) or (N, 1) logits. anchors: (N, 2) from ssd_anchors().
    ValueError when the shapes disagree.
    """
    raw_boxes = np.asarray(raw_boxes, np.float32)
    logits = np.asarray(raw_scores, np.float32).reshape(-1)
    width = 4 + 2 * options.num_keypoints
    if len(logits) != len(anchors) or raw_boxes.size < len(anchors) * width:
        raise ValueError(
            f"raw outputs {raw_boxes.shape}, {logits.shape} for {len(anchors)} anchors"
        )
    raw_boxes = raw_boxes.reshape(len(anchors), -1)
    # float64: exp(100) overflows float32
    clipped = np.clip(logits.astype(np.float64), -100.0, 100.0)
    scores = (1.0 / (1.0 + np.exp(-clipped))).astype(np.float32)
    keep = scores >= options.min_score
    raw, anc = raw_boxes[keep] / options.input_size, anchors[keep]
    centre = raw[:, 0:2] + anc
    half = raw[:, 2:4] / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    k = options.num_keypoints
    keypoints = raw[:, 4 : 4 + 2 * k].reshape(-1, k, 2) + anc[:, None, :]
    return Detections(boxes.astype(np.float32), keypoints.astype(np.float32), scores[keep])


def _iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    lo = np.maximum(box[:2], others[:, :2])
    hi = np.minimum(box[2:], others[:, 2:])
    inter = np.prod(np.clip(hi - lo, 0.0, None), axis=1)
    area = np.prod(box[2:] - box[:2])
    areas = np.prod(others[:, 2:] - others[:, :2], axis=1)
    union = area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def weighted_nms(detections: Detections, threshold: float = 0.3) -> Detections:
    """Weighted non-maximum suppression, most confident first.

    Each round takes the most confident remaining detection and every remaining one whose
    intersection over union with it is above `threshold`; the result keeps the top score and
    the score-weighted mean of their boxes and keypoints (mediapipe's WEIGHTED algorithm).
    """
    order = np.argsort(-detections.scores, kind="stable")
    boxes, kps, scores = (
        detections.boxes[order],
        detections.keypoints[order],
        detections.scores[order],
    )
    out_b, out_k, out_s = [], [], []
    remaining = np.arange(len(scores))
    while len(remaining):
        top = remaining[0]
        overlap = _iou(boxes[top], boxes[remaining]) > threshold
        overlap[0] = True
        group = remaining[overlap]
        w = scores[group][:, None]
        out_b.append((boxes[group] * w).sum(axis=0) / w.sum())
        out_k.append((kps[group] * w[:, :, None]).sum(axis=0) / w.sum())
        out_s.append(scores[top])
        remaining = remaining[~overlap]
    if not out_s:
        return detections.take(np.zeros(0, np.intp))
    return Detections(
        np.array(out_b, np.float32), np.array(out_k, np.float32), np.array(out_s, np.float32)
    )


def remove_letterbox(detections: Detections, pads: tuple[float, float, float, float]) -> Detections:
    """Detections relative to the image instead of the letterboxed square input."""
    left, top, right, bottom = pads
    scale = np.array([1.0 - left - right, 1.0 - top - bottom], np.float32)
    shift = np.array([left, top], np.float32)
    boxes = (detections.boxes.reshape(-1, 2, 2) - shift) / scale
    kps = (detections.keypoints - shift) / scale
    return Detections(boxes.reshape(-1, 4), kps, detections.scores)

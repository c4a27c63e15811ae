"""Geometry around mediapipe's attention face-mesh model: region of interest, crop, landmarks.

Reimplements, from mediapipe's public graphs (Apache-2.0):

- detection -> region of interest: mediapipe/modules/face_landmark/
  face_detection_front_detection_to_roi.pbtxt (DetectionsToRectsCalculator rotated so the line
  from keypoint 0 to keypoint 1, the eyes, is level; RectTransformationCalculator with
  scale 1.5 and square_long);
- the crop: ImageToTensorCalculator in face_landmark_cpu.pbtxt (the rotated square mapped
  corner to corner onto the 192 x 192 input, bilinear, border replicated, values in [0, 1]);
- landmarks: tensors_to_face_landmarks_with_attention.pbtxt (TensorsToLandmarksCalculator on
  each output, then LandmarksRefinementCalculator: the 468-point mesh overwritten by the lips
  and eye models' points and extended by the two 5-point irises to 478), the face flag through a
  sigmoid against 0.5 (TensorsToFloatsCalculator + ThresholdingCalculator), and
  LandmarkProjectionCalculator back to image pixels through the same rotation.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = [
    "MAX_SHRINK",
    "MESH_INPUT",
    "PRESENCE_THRESHOLD",
    "ROI_SCALE",
    "Roi",
    "assemble_landmarks",
    "crop_roi",
    "detection_roi",
    "project",
    "roi_matrix",
]

# The landmark model's input side (pixels) and the graph's region-of-interest scale.
MESH_INPUT = 192
ROI_SCALE = 1.5
# Regions larger than this many image pixels per crop pixel are area-shrunk before the warp.
MAX_SHRINK = 2.0
# Face-presence probability below which the crop holds no face.
PRESENCE_THRESHOLD = 0.5

# LandmarksRefinementCalculator's index maps: which mesh points the lips and eye models refine.
LIPS = (
    61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 185, 40, 39, 37, 0, 267, 269, 270, 409,
    78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 191, 80, 81, 82, 13, 312, 311, 310, 415,
    76, 77, 90, 180, 85, 16, 315, 404, 320, 307, 306, 184, 74, 73, 72, 11, 302, 303, 304, 408,
    62, 96, 89, 179, 86, 15, 316, 403, 319, 325, 292, 183, 42, 41, 38, 12, 268, 271, 272, 407,
)  # fmt: skip
LEFT_EYE = (
    33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173, 130, 25, 110,
    24, 23, 22, 26, 112, 243, 247, 30, 29, 27, 28, 56, 190, 226, 31, 228, 229, 230, 231, 232,
    233, 244, 113, 225, 224, 223, 222, 221, 189, 35, 124, 46, 53, 52, 65, 143, 111, 117, 118,
    119, 120, 121, 128, 245, 156, 70, 63, 105, 66, 107, 55, 193,
)  # fmt: skip
RIGHT_EYE = (
    263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398, 359, 255,
    339, 254, 253, 252, 256, 341, 463, 467, 260, 259, 257, 258, 286, 414, 446, 261, 448, 449,
    450, 451, 452, 453, 464, 342, 445, 444, 443, 442, 441, 413, 265, 353, 276, 283, 282, 295,
    372, 340, 346, 347, 348, 349, 350, 357, 465, 383, 300, 293, 334, 296, 336, 285, 417,
)  # fmt: skip
_LIPS, _LEFT, _RIGHT = (np.array(v, np.intp) for v in (LIPS, LEFT_EYE, RIGHT_EYE))

# A rotated square region: centre (x, y) and side in image pixels, rotation in radians (the
# angle of the region's x axis in the image, y pointing down).
Roi = tuple[tuple[float, float], float, float]


def detection_roi(keypoints: np.ndarray, box: tuple[float, float, float, float]) -> Roi:
    """The face mesh's region of interest from one detection, all in image pixels.

    keypoints: (>= 2, 2) detector keypoints (x, y), 0 and 1 the eyes; box: (x0, y0, x1, y1).
    Centre: the box centre; side: 1.5 x the box's longer side; rotation: the angle of the
    eye-to-eye vector (DetectionsToRectsCalculator's target angle 0, so a tilted face is
    turned level in the crop).
    """
    (ex0, ey0), (ex1, ey1) = keypoints[0], keypoints[1]
    angle = math.atan2(float(ey1 - ey0), float(ex1 - ex0))
    x0, y0, x1, y1 = box
    side = ROI_SCALE * max(x1 - x0, y1 - y0)
    return ((x0 + x1) / 2, (y0 + y1) / 2), float(side), angle


def roi_matrix(roi: Roi, side: int = MESH_INPUT) -> np.ndarray:
    """(2, 3) float64 affine map from model-input pixels (u, v) in [0, side] to image pixels:
    (0, 0) is the region's top-left corner, (side, side) its bottom-right one."""
    (cx, cy), size, angle = roi
    c, s = math.cos(angle), math.sin(angle)
    k = size / side
    lin = np.array([[c * k, -s * k], [s * k, c * k]])
    shift = np.array([cx, cy]) - lin @ np.array([side / 2, side / 2])
    return np.concatenate([lin, shift[:, None]], axis=1)


def crop_roi(image: np.ndarray, matrix: np.ndarray, side: int = MESH_INPUT) -> np.ndarray:
    """The region as a (side, side, 3) uint8 crop (bilinear, border replicated).

    A region more than MAX_SHRINK times the crop's side is first cut out (its axis-aligned
    bounds) and shrunk with an area filter: bilinear sampling alone would alias a big face
    (the previous mediapipe path also gave the mesh an area-shrunk crop).
    """
    scale = float(np.hypot(*matrix[:, 0]))  # image pixels per crop pixel
    if scale > MAX_SHRINK:
        h, w = image.shape[:2]
        corners = project(np.array([[0, 0], [side, 0], [0, side], [side, side]]), matrix)
        x0, y0 = np.clip(np.floor(corners.min(axis=0)).astype(int), 0, [w - 1, h - 1])
        x1, y1 = np.clip(np.ceil(corners.max(axis=0)).astype(int) + 1, [x0 + 1, y0 + 1], [w, h])
        f = scale / MAX_SHRINK
        size = (max(1, round((x1 - x0) / f)), max(1, round((y1 - y0) / f)))
        image = cv2.resize(image[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA)
        # image pixel p = crop pixel q * (extent / size) + origin, per axis
        fx, fy = (x1 - x0) / size[0], (y1 - y0) / size[1]
        to_small = np.array([[1 / fx, 0, -x0 / fx], [0, 1 / fy, -y0 / fy]])
        matrix = to_small[:, :2] @ matrix
        matrix[:, 2] += to_small[:, 2]
    crop: np.ndarray = cv2.warpAffine(
        image,
        matrix,
        (side, side),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return crop


def project(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """(N, 2) model-input pixels -> (N, 2) float32 image pixels through roi_matrix()."""
    pts = np.asarray(points, np.float64)
    out: np.ndarray = (pts @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)
    return out


def assemble_landmarks(
    mesh: np.ndarray,
    lips: np.ndarray,
    left_eye: np.ndarray,
    right_eye: np.ndarray,
    left_iris: np.ndarray,
    right_iris: np.ndarray,
) -> np.ndarray:
    """The 478 (x, y) landmarks in model-input pixels from the model's six landmark outputs.

    mesh: 468 x 3 values (x, y, z; z dropped); lips: 80 x 2; eyes: 71 x 2 each; irises: 5 x 2
    each (flat or shaped). The refined lips and eyes replace their mesh points; the irises
    become points 468-472 (left) and 473-477 (right). ValueError on wrong sizes.
    """
    parts = [
        (np.asarray(mesh, np.float32).reshape(-1), 468 * 3),
        (np.asarray(lips, np.float32).reshape(-1), 80 * 2),
        (np.asarray(left_eye, np.float32).reshape(-1), 71 * 2),
        (np.asarray(right_eye, np.float32).reshape(-1), 71 * 2),
        (np.asarray(left_iris, np.float32).reshape(-1), 5 * 2),
        (np.asarray(right_iris, np.float32).reshape(-1), 5 * 2),
    ]
    for values, size in parts:
        if values.size != size:
            raise ValueError(f"landmark output of {values.size} values, expected {size}")
    out = np.empty((478, 2), np.float32)
    out[:468] = parts[0][0].reshape(468, 3)[:, :2]
    out[_LIPS] = parts[1][0].reshape(80, 2)
    out[_LEFT] = parts[2][0].reshape(71, 2)
    out[_RIGHT] = parts[3][0].reshape(71, 2)
    out[468:473] = parts[4][0].reshape(5, 2)
    out[473:478] = parts[5][0].reshape(5, 2)
    return out

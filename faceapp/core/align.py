"""The aligned crop: five landmarks → similarity transform → 112×112 on the ArcFace template.

This is the one definition of an aligned face that the detector, the embedder, the trainer and the
tests share (DESIGN.md, "Aligned crop").
"""

from __future__ import annotations

import cv2
import numpy as np

CROP_SIZE = 112

# Left eye, right eye, nose tip, left and right mouth corners on a 112×112 crop (insightface).
ARCFACE_TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, translation) mapping src onto dst.

    Umeyama (1991) closed form; returns the 2×3 matrix M with dst ≈ M @ [x, y, 1].
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    n = src.shape[0]
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s_c, d_c = src - mu_s, dst - mu_d
    cov = d_c.T @ s_c / n
    u, sig, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1.0
    rot = u @ np.diag(d) @ vt
    var_s = (s_c**2).sum() / n
    scale = (sig * d).sum() / var_s if var_s > 0 else 1.0
    t = mu_d - scale * rot @ mu_s
    return np.hstack([scale * rot, t[:, None]])


def align_face(image: np.ndarray, landmarks: np.ndarray, size: int = CROP_SIZE) -> np.ndarray:
    """Warp `image` so the five `landmarks` (image coordinates) land on the template.

    Works for any channel order; returns size×size with the same channels and dtype.
    """
    lm = np.asarray(landmarks, dtype=np.float64).reshape(5, 2)
    template = ARCFACE_TEMPLATE * (size / CROP_SIZE)
    m = similarity_transform(lm, template)
    return cv2.warpAffine(image, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)

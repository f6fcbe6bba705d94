import cv2
import numpy as np
import pytest

from faceapp.core.align import ARCFACE_TEMPLATE, align_face, similarity_transform


def _apply(m, pts):
    return pts @ m[:, :2].T + m[:, 2]


@pytest.mark.parametrize("angle,scale,shift", [(0, 1, (0, 0)), (30, 2.5, (100, 40)), (-75, 0.6, (-20, 300)), (180, 4, (500, 500))])
def test_recovers_known_similarity(angle, scale, shift):
    th = np.deg2rad(angle)
    rot = scale * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    landmarks = ARCFACE_TEMPLATE @ rot.T + np.array(shift)
    m = similarity_transform(landmarks, ARCFACE_TEMPLATE)
    np.testing.assert_allclose(_apply(m, landmarks), ARCFACE_TEMPLATE, atol=1e-9)


def test_matches_opencv_estimate_on_noisy_landmarks():
    rng = np.random.default_rng(0)
    for _ in range(20):
        th, s = rng.uniform(-np.pi, np.pi), rng.uniform(0.3, 5)
        rot = s * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
        lm = ARCFACE_TEMPLATE @ rot.T + rng.uniform(-300, 300, 2) + rng.normal(0, 2, (5, 2))
        ours = similarity_transform(lm, ARCFACE_TEMPLATE)
        ref, _ = cv2.estimateAffinePartial2D(lm.astype(np.float32), ARCFACE_TEMPLATE.astype(np.float32), method=cv2.RANSAC, ransacReprojThreshold=1e4, maxIters=10, refineIters=100)
        # both are least-squares fits of the same model: mapped points agree closely
        np.testing.assert_allclose(_apply(ours, lm), _apply(ref, lm), atol=0.05)


def test_crop_puts_landmarks_on_template():
    # draw five distinct dots at rotated/scaled landmark positions, align, find the dots again
    th, s = np.deg2rad(25), 2.0
    rot = s * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    lm = ARCFACE_TEMPLATE @ rot.T + np.array([150.0, 80.0])
    img = np.zeros((500, 500, 3), np.uint8)
    for i, (x, y) in enumerate(lm):
        cv2.circle(img, (int(round(x)), int(round(y))), 4, (0, 50 * (i + 1), 255), -1)
    crop = align_face(img, lm)
    assert crop.shape == (112, 112, 3)
    for i, (x, y) in enumerate(ARCFACE_TEMPLATE):
        px = crop[int(round(y)), int(round(x))]
        assert px[2] > 200 and abs(int(px[1]) - 50 * (i + 1)) < 25

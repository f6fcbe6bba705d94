"""Least like this person first: the distance of each face to its person's mean embedding."""

from __future__ import annotations

import numpy as np

from faceapp.jobs.person_order import distances_to_mean


def test_the_outlier_is_farthest_and_scale_does_not_matter():
    rng = np.random.default_rng(0)
    centre = rng.normal(size=128)
    faces = centre + 0.2 * rng.normal(size=(6, 128))
    faces[2] *= 40.0  # a longer vector in the same direction is just as typical
    outlier = rng.normal(size=128)
    ids = np.array([10, 11, 12, 13, 14, 15, 99])
    d = distances_to_mean(ids, np.vstack([faces, outlier]))
    assert max(d, key=d.get) == 99
    assert all(0.0 <= v <= 2.0 for v in d.values())
    assert abs(d[12] - d[10]) < 0.1


def test_one_face_is_its_own_mean_and_none_is_empty():
    d = distances_to_mean(np.array([5]), np.ones((1, 4)))
    assert list(d) == [5] and abs(d[5]) < 1e-9
    assert distances_to_mean(np.array([], np.int64), np.zeros((0, 4))) == {}

"""The linkage pass over cluster means: groups whose average linkage reaches the threshold merge
even when the face graph (each face's k best partners) holds no edge between them."""

import numpy as np

from faceapp.core.cluster import ClusterParams, Constraints, cluster


def _two_close_groups(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.normal(size=32)
    other = base + rng.normal(size=32) * 0.6  # a second look of the same person
    faces = [v + rng.normal(size=32) * 0.15 for v in [base] * 5 + [other] * 5]
    x = np.array(faces, np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_groups_with_no_face_edge_between_them_merge_through_their_means():
    x = _two_close_groups()
    s = x @ x.T
    t = float(s[:5, 5:].mean()) - 0.02  # the groups' average linkage clears the threshold
    assert s[:5, :5][~np.eye(5, dtype=bool)].min() > s[:5, 5:].max()  # k=4 keeps only in-group edges
    alone = cluster(x, ClusterParams(threshold=t, k=4, exact=True, cluster_passes=0))
    assert len(set(alone.labels.tolist())) == 2
    res = cluster(x, ClusterParams(threshold=t, k=4, exact=True))
    assert len(set(res.labels.tolist())) == 1


def test_the_means_pass_keeps_named_people_apart():
    x = _two_close_groups()
    t = float((x @ x.T)[:5, 5:].mean()) - 0.02
    fixed = np.array([1] * 5 + [2] * 5)
    res = cluster(x, ClusterParams(threshold=t, k=4, exact=True), Constraints(fixed=fixed))
    assert not set(res.labels[:5].tolist()) & set(res.labels[5:].tolist())

"""Oracle figures: each fix repairs exactly its kind of error."""

import numpy as np

from faceapp.bench.cluster_oracle import oracle_report, separability


def _unit(v):
    v = np.asarray(v, np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_each_oracle_fixes_its_own_error():
    # person a: main cluster 0 (3 faces) + split cluster 1 (2 faces) + one unsorted face;
    # person b: cluster 2 (3 faces) holding one face of person a.
    truth = ["a"] * 3 + ["a"] * 2 + ["a"] + ["b"] * 3 + ["a"]
    labels = np.array([0, 0, 0, 1, 1, -1, 2, 2, 2, 2])
    x = _unit(np.eye(10)[:, :4] + 0.01)  # similarities carry no signal here
    r = oracle_report(x, labels, np.ones(10, bool), truth)
    assert r["as-is"] < min(r["merge-splits"], r["place-unsorted"], r["purify"])
    assert r["both"] >= max(r["merge-splits"], r["place-unsorted"])
    perfect = np.array([0] * 6 + [2] * 3 + [0])
    assert oracle_report(x, perfect, np.ones(10, bool), truth)["as-is"] == 1.0


def test_best_placement_moves_a_face_only_to_its_own_person():
    a, b = [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]
    # face 4 (person a) sits unsorted but is most like cluster 0 (person a); face 5 (person a) is
    # unsorted and most like cluster 1 (person b): the bound moves the first only.
    x = _unit([a, a, b, b, [0.9, 0.1, 0.0], [0.1, 0.9, 0.0]])
    labels = np.array([0, 0, 1, 1, -1, -1])
    truth = ["a", "a", "b", "b", "a", "a"]
    r = oracle_report(x, labels, np.ones(6, bool), truth)
    from faceapp.core.metrics import bcubed

    assert abs(r["best-placement"] - bcubed(truth, [0, 0, 1, 1, 0, -1])[2]) < 1e-12


def test_separability_counts_faces_nearer_another_person():
    a, b = [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]
    # three faces of a and two of b; the last face of a looks like b (nearest face and nearest mean: b)
    x = _unit([a, [0.95, 0.05, 0.0], [0.9, 0.0, 0.1], b, [0.05, 0.95, 0.0], [0.1, 0.9, 0.0]])
    truth = ["a", "a", "a", "b", "b", "a"]
    r = separability(x, truth, block=4)  # a block smaller than the set: the blocks must agree with one pass
    assert r == separability(x, truth)
    assert r["nearest-neighbour"] == 5 / 6 and r["nearest-person-mean"] == 5 / 6
    from faceapp.core.metrics import bcubed

    assert r["nearest-person-mean-f"] == bcubed(truth, [0, 0, 0, 1, 1, 1])[2]
    # a person of one face has no mean without it: that face cannot count as placed
    r1 = separability(_unit([a, a, b]), ["a", "a", "c"])
    assert r1["nearest-person-mean"] == 2 / 3

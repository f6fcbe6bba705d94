"""Review queue (merge suggestions, uncertain faces, bulk accept/reject) and verification."""

from __future__ import annotations

import numpy as np
import pytest

from faceapp.jobs import people, review
from faceapp.jobs.verify import VerifyError, far_at, model_thresholds, verify


def test_merge_suggestion_for_a_split_person(db, make_lib):
    lib = make_lib(people=3, per=8, seed=2, group_photos=0)
    people.recluster(db)
    ann = lib.faces_of_truth(0)
    a = lib.person(ann[0])
    new = people.split_person(db, a, ann[4:])  # the user (wrongly) split Ann in two
    items = review.review_queue(db)
    merges = [it for it in items if it.kind == "merge"]
    assert merges and {merges[0].person_id, merges[0].other_person_id} == {a, new}
    assert review.accept_items(db, merges[:1]) == 1
    assert {lib.person(f) for f in ann} == {a}
    # dismissing a suggestion is remembered
    new = people.split_person(db, a, ann[4:])
    m = [it for it in review.review_queue(db) if it.kind == "merge"]
    review.reject_items(db, m[:1])
    assert not [it for it in review.review_queue(db) if it.kind == "merge"]


def test_uncertain_and_suggested_faces_bulk(db, make_lib):
    lib = make_lib(people=3, per=8, seed=3, group_photos=0)
    people.recluster(db)
    # a face between Ann and Bob, proposed as Ann: it should be the first uncertain item
    fa, fb = lib.faces_of_truth(0)[0], lib.faces_of_truth(1)[0]
    mid = lib.vec[fa] * 0.55 + lib.vec[fb] * 0.45
    mid = (mid / np.linalg.norm(mid)).astype(np.float32)
    db.execute("UPDATE embeddings SET vector = ? WHERE face_id = ?", [mid.tobytes(), fa])
    items = review.review_queue(db, limit=100)
    unc = [it for it in items if it.kind == "uncertain"]
    assert unc and unc[0].face_id == fa and unc[0].other_person_id == lib.person(fb)
    assert all(unc[i].score <= unc[i + 1].score for i in range(len(unc) - 1))
    a = lib.person(fa)
    assert review.reject_items(db, unc[:1]) == 1
    assert lib.person(fa) is None
    # now unsorted, it is suggested for Bob (its best remaining match) — never again for Ann
    sug = [it for it in review.review_queue(db, limit=100) if it.kind == "suggest" and it.face_id == fa]
    assert sug and all(it.person_id != a for it in sug)
    review.accept_items(db, sug)
    assert lib.person(fa) == sug[0].person_id
    assert db.execute("SELECT source FROM face_assignments WHERE face_id = ?", [fa]).fetchone()[0] == "confirmed"
    assert all(it.face_id != fa for it in review.review_queue(db, limit=100))  # decided faces leave the queue


def test_verify_face_ids(db, make_lib):
    lib = make_lib(people=2, per=4, seed=4, group_photos=0)
    th = model_thresholds(db)
    assert th["1e-2"] < th["1e-3"] < th["1e-4"]
    f = lib.faces_of_truth(0)
    g = lib.faces_of_truth(1)
    same = verify(db, f[0], f[1])
    diff = verify(db, f[0], g[0], far="1e-2")
    assert same.same and same.similarity > same.threshold == th["1e-3"]
    assert not diff.same and diff.threshold == th["1e-2"]
    assert diff.far_at_similarity > same.far_at_similarity
    assert set(same.decisions) == set(th)
    with pytest.raises(VerifyError):
        verify(db, 999999, f[0])
    with pytest.raises(VerifyError):
        verify(db, f[0], f[1], far="1e-9")


def test_far_curve_interpolation():
    curve = [[1e-2, 0.3], [1e-3, 0.36], [1e-4, 0.42]]
    assert far_at(0.36, curve) == pytest.approx(1e-3)
    assert 1e-3 < far_at(0.33, curve) < 1e-2
    assert far_at(0.9, curve) == pytest.approx(1e-4) and far_at(0.0, curve) == pytest.approx(1e-2)


def test_verify_image_files(db, sample_album):
    files = sorted(sample_album.glob("*.jpg"))
    by_name: dict[str, list] = {}
    for f in files:
        by_name.setdefault(f.stem.rsplit("_", 1)[0], []).append(f)
    pair = next(v for v in by_name.values() if len(v) >= 2)
    other = next(v for k, v in by_name.items() if v[0] != pair[0])
    same = verify(db, str(pair[0]), str(pair[1]), device="cpu")
    diff = verify(db, str(pair[0]), str(other[0]), device="cpu")
    assert same.similarity > diff.similarity
    assert not diff.same


def _set_vector(db, face_id: int, v: np.ndarray) -> None:
    v = (v / np.linalg.norm(v)).astype(np.float32)
    db.execute("UPDATE embeddings SET vector = ? WHERE face_id = ?", [v.tobytes(), face_id])


def test_merge_suggestions_one_per_person(db, make_lib):
    lib = make_lib(people=3, per=12, seed=5, group_photos=0)
    people.recluster(db)
    ann = lib.faces_of_truth(0)
    a = lib.person(ann[0])
    people.split_person(db, a, ann[4:8])  # Ann wrongly in three parts: two merges are right, one person in both
    people.split_person(db, a, ann[8:])
    parts = {lib.person(f) for f in ann}
    merges = [it for it in review.review_queue(db, limit=100) if it.kind == "merge"]
    assert merges and {merges[0].person_id, merges[0].other_person_id} <= parts
    shown = [p for it in merges for p in (it.person_id, it.other_person_id)]
    assert len(shown) == len(set(shown))  # a person is in one merge suggestion at a time
    review.accept_items(db, merges[:1])
    nxt = [it for it in review.review_queue(db, limit=100) if it.kind == "merge"]
    assert nxt and {nxt[0].person_id, nxt[0].other_person_id} <= {lib.person(f) for f in ann}


def test_suggestions_with_a_clear_margin_first(db, make_lib):
    lib = make_lib(people=3, per=8, seed=6, group_photos=0)
    people.recluster(db)
    fa, fb = lib.faces_of_truth(0), lib.faces_of_truth(1)
    clear, torn = fa[0], fa[1]
    noise = np.random.default_rng(0).normal(size=128).astype(np.float32)
    _set_vector(db, clear, lib.vec[fa[2]] + 1.2 * noise / np.linalg.norm(noise))  # only Ann, and less like her
    _set_vector(db, torn, lib.vec[fa[2]] + lib.vec[fb[2]])  # as close to Bob as to Ann, and closer to both
    people.reject_faces(db, [clear, torn])  # both unsorted now, never Ann again ...
    db.execute("DELETE FROM face_rejections")  # ... except that we only wanted them unsorted
    sug = [it for it in review.review_queue(db, limit=100) if it.kind == "suggest"]
    order = [it.face_id for it in sug]
    assert clear in order and torn in order
    by_face = {it.face_id: it for it in sug}
    assert by_face[torn].score > by_face[clear].score  # the torn face is more similar ...
    assert order.index(clear) < order.index(torn)  # ... but the clear margin comes first


def test_kinds_take_turns_across_answers(db, make_lib):
    """The GUI answers the first item and reads the queue again: each answer moves the turn on, so
    while the same kinds are waiting the first item's kind changes with every answer."""
    lib = make_lib(people=4, per=8, seed=2, group_photos=0)
    people.recluster(db)
    for label in (0, 1):
        faces = lib.faces_of_truth(label)
        people.split_person(db, lib.person(faces[0]), faces[4:])
    served, compared, before = [], 0, None
    for _ in range(8):
        queue = review.review_queue(db, limit=1000)
        kinds = {it.kind for it in queue}
        if len(kinds) < 2:
            break
        if kinds == before:
            assert queue[0].kind != served[-1]
            compared += 1
        served.append(queue[0].kind)
        before = kinds
        review.reject_items(db, queue[:1])
    assert compared >= 2 and len(set(served)) >= 2

"""faceapp bench assign: its pieces on a synthetic library (the whole run needs ../shared/data)."""

from __future__ import annotations

from faceapp.bench.assign_bench import hold_out, measure, stranger_photos
from faceapp.jobs import people
from faceapp.storage.backup import copy_library


def test_stranger_photos_are_the_one_photo_people(tmp_path) -> None:
    for name, n in (("a", 1), ("b", 3), ("c", 1), ("d", 1)):
        (tmp_path / name).mkdir()
        for k in range(n):
            (tmp_path / name / f"{k}.jpg").write_bytes(b"x")
    assert [p.parent.name for p in stranger_photos(tmp_path, 10)] == ["a", "c", "d"]
    assert len(stranger_photos(tmp_path, 2)) == 2


def test_held_out_faces_rejoin_their_person_and_a_stranger_counts_against(db, lib, tmp_path) -> None:
    import numpy as np

    people.recluster(db)
    owner = {f: lib.person(f) for f in lib.truth}
    held = hold_out(db, 0.5, seed=0)
    assert held and all(lib.person(f) is None for f in held)
    assert db.execute("SELECT count(*) FROM person_prototypes").fetchone()[0] == 0  # none summarises a held face
    stranger = lib.add_face(0, seed=4)
    v = -lib.vec[lib.faces_of_truth(0)[0]]  # nobody's face
    db.execute("UPDATE embeddings SET vector = ? WHERE face_id = ?", [v.astype(np.float32).tobytes(), stranger])
    near = lib.add_face(1, seed=5)  # counted as a stranger, but plainly person 1: it joins, and counts as placed
    run = tmp_path / "run.db"
    copy_library(db, run)
    r = measure(run, "1e-4", 0.05, held, {f: owner[f] for f in held}, {owner[lib.faces_of_truth(1)[0]]},
                {stranger, near}, recluster_after=True)
    assert r["known"] == len(held) and r["known_right"] == len(held) and r["known_wrong"] == 0
    assert r["strangers_joined"] == 1 and r["strangers_named"] == 1 and r["stranger_faces"] == 2
    after = r["after_cluster"]  # then re-clustered: the held faces stay home, nobody's face stays alone
    assert after["known_right"] == len(held) and after["strangers_joined"] == 1

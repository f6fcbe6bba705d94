"""The simulated review user (faceapp bench review) on a synthetic library: its clicks land as
decisions, the figures are read from the database, the click budget is honoured."""

from __future__ import annotations

from faceapp.bench import review_bench as rb
from faceapp.jobs import people, review
from faceapp.storage import people as store


def _decisions(db) -> int:
    return db.execute("SELECT count(*) FROM history WHERE undone = 0").fetchone()[0]


def _broken_library(make_lib):
    """Clustered, then Ann split in two and one of Bob's faces put into Cid (a wrong proposal)."""
    lib = make_lib(people=4, per=8, seed=7, group_photos=0)
    db = lib.db
    people.recluster(db)
    ann, bob, cid = (lib.faces_of_truth(k) for k in range(3))
    people.split_person(db, lib.person(ann[0]), ann[4:])
    store.assign(db, bob[0], lib.person(cid[0]), "cluster", 0.5)
    truth = {f: f"person{t}" for f, t in lib.truth.items()}
    return lib, truth


def test_right_answers_land_as_decisions_and_raise_f(make_lib):
    lib, truth = _broken_library(make_lib)
    db = lib.db
    start = rb.score(db, truth)
    n0 = _decisions(db)
    out = rb.play(db, truth, [1, 3, 10], rb.queue_user(), regroup=False)
    rows = out["rows"]
    assert [r["clicks"] for r in rows] == [0, 1, 3, 10]
    assert 3 <= out["clicks"] <= 10 and _decisions(db) - n0 == out["clicks"]  # one click, one decision
    assert out["clicks"] == 10 or rows[-1]["ran_out_at"] == out["clicks"]
    assert rows[0]["bcubed_f"] == round(start[2], 4)
    assert all(b["bcubed_p"] >= a["bcubed_p"] for a, b in zip(rows, rows[1:]))  # right answers never lower P
    assert rows[-1]["bcubed_f"] > rows[0]["bcubed_f"]
    assert rows[-1]["bcubed_f"] == round(rb.score(db, truth)[2], 4)  # the figure is the library's, now
    ann = lib.faces_of_truth(0)
    assert len({lib.person(f) for f in ann}) == 1  # the split was answered yes: Ann is one person again
    assert out["answers"]["merge"]["right"] == 1.0


def test_budget_is_honoured_and_a_short_queue_runs_out(make_lib):
    lib, truth = _broken_library(make_lib)
    db = lib.db
    total = len(review.review_queue(db, limit=100_000))
    out = rb.play(db, truth, [2], rb.queue_user(), regroup=False)
    assert out["clicks"] == 2 < total
    more = rb.play(db, truth, [100_000], rb.queue_user(), regroup=False)
    used = more["clicks"]
    assert used < 100_000 and more["rows"][-1]["ran_out_at"] == used
    assert review.review_queue(db, limit=100_000) == []  # every item was answered


def test_judge_and_unknown_items(make_lib):
    lib, truth = _broken_library(make_lib)
    db = lib.db
    ident, home = rb.census(db, truth)
    ann = lib.faces_of_truth(0)
    parts = sorted({lib.person(f) for f in ann})
    merge = review.ReviewItem("m", "merge", parts[0], None, parts[1])
    assert rb.judge(merge, truth, ident) is True
    bob0, cid = lib.faces_of_truth(1)[0], lib.person(lib.faces_of_truth(2)[0])
    assert rb.judge(review.ReviewItem("u", "uncertain", cid, bob0), truth, ident) is False
    assert home["person1"] == lib.person(lib.faces_of_truth(1)[1])
    unknown = {f: t for f, t in truth.items() if t != "person3"}  # nobody knows person3's faces
    ident_u, _ = rb.census(db, unknown)
    d = lib.faces_of_truth(3)
    assert rb.judge(review.ReviewItem("u", "outlier", lib.person(d[0]), d[1]), unknown, ident_u) is None


def test_baseline_puts_faces_right_within_its_clicks(make_lib):
    lib, truth = _broken_library(make_lib)
    db = lib.db
    n0 = _decisions(db)
    out = rb.play(db, truth, [5, 40], rb.face_user(db, seed=1), regroup=False)
    rows = out["rows"]
    clicks = out["clicks"]
    assert clicks == 40 or rows[-1].get("ran_out_at") == clicks
    skipped = sum(c.get("skip", 0) + c.get("refused", 0) for c in out["answers"].values())
    assert _decisions(db) - n0 == clicks - skipped
    assert all(b["bcubed_p"] >= a["bcubed_p"] for a, b in zip(rows, rows[1:]))
    bob0 = lib.faces_of_truth(1)[0]
    if lib.person(bob0) != lib.person(lib.faces_of_truth(2)[0]):  # reached: moved out of Cid, confirmed
        assert db.execute("SELECT source FROM face_assignments WHERE face_id = ?", [bob0]).fetchone() in (None, ("confirmed",))


def test_regroup_figure_leaves_the_library_alone(make_lib):
    lib, truth = _broken_library(make_lib)
    db = lib.db
    before = store.assignments(db)
    f = rb.regrouped_f(db, truth)
    assert 0.0 < f <= 1.0 and store.assignments(db) == before

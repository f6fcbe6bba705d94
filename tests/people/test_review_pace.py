"""Answers per minute with and without the reference faces (faceapp.bench.review_pace): the model
counts one look-up per unnamed person the queue names (remembered after), none for named people."""

from __future__ import annotations

from faceapp.bench import review_bench as rb
from faceapp.bench.review_pace import Pace, answer_s, lookup_s
from faceapp.jobs import people
from faceapp.storage import people as store


def _broken(make_lib):
    lib = make_lib(people=4, per=8, seed=7, group_photos=0)
    people.recluster(lib.db)
    ann = lib.faces_of_truth(0)
    people.split_person(lib.db, lib.person(ann[0]), ann[4:])
    truth = {f: f"person{t}" for f, t in lib.truth.items()}
    return lib, truth


def test_unnamed_people_cost_one_lookup_each_and_the_ratio_follows(make_lib):
    lib, truth = _broken(make_lib)
    pace, asked = Pace(), []
    out = rb.play(lib.db, truth, [6], rb.queue_user(watch=lambda db, it: (asked.append(it), pace.watch(db, it))),
                  regroup=False)
    assert pace.answers == out["clicks"] == len(asked) > 0
    assert pace.lookups == len({it.person_id for it in asked})  # nobody is named: each person once
    p = pace.per_minute()
    assert p["with_refs_per_min"] > p["without_refs_per_min"] and p["ratio"] > 1
    extra = pace.without_refs_s - pace.with_refs_s
    assert abs(extra - sum(lookup_s(pid) for pid in pace.known) + pace.machine_refs_s) < 1e-6


def test_named_people_need_no_lookup(make_lib):
    lib, truth = _broken(make_lib)
    for p in store.list_persons(lib.db, True):
        people.name_person(lib.db, p.id, f"Name {p.id}")
    pace = Pace()
    rb.play(lib.db, truth, [4], rb.queue_user(watch=pace.watch), regroup=False)
    assert pace.answers > 0 and pace.lookups == 0
    assert pace.per_minute()["ratio"] <= 1.0  # the references only cost their read then
    assert lookup_s(47) > 2 * answer_s()

"""Unlabeled faces join the named person they clearly belong to (faceapp.jobs.named_place), never
against a decision."""

from __future__ import annotations

from faceapp.jobs.named_place import place_with_named
from faceapp.storage import people as store


def _named_library(make_lib):  # noqa: ANN001, ANN202
    """Five people of ten faces; four named with five confirmed faces each, the rest of their faces
    unsorted; the fifth (a stranger) unsorted."""
    lib = make_lib(people=5, per=10, group_photos=0)
    db = lib.db
    for label in range(4):
        p = store.create_person(db, f"P{label}")
        for f in lib.faces_of_truth(label)[:5]:
            store.assign(db, f, p, "confirmed", 1.0)
    return lib


def test_unsorted_faces_join_their_named_person(make_lib) -> None:
    lib = _named_library(make_lib)
    info = place_with_named(lib.db, precision=0.9)
    assert info["threshold"] is not None and info["placed"] > 0
    assign = store.assignments(lib.db)
    names = store.person_names(lib.db)
    for f, (p, src, _) in assign.items():
        if src == "cluster":  # every placement is right, and nobody's stranger joins a named person
            assert names[p] == f"P{lib.truth[f]}"
    stranger = lib.faces_of_truth(4)
    assert not any(f in assign for f in stranger)
    placed_family = sum(1 for label in range(4) for f in lib.faces_of_truth(label)[5:] if f in assign)
    assert placed_family >= 10  # most of the twenty unlabeled family faces found their person


def test_a_rejection_and_the_confirmed_faces_are_honoured(make_lib) -> None:
    lib = _named_library(make_lib)
    db = lib.db
    p0 = next(p for p, n in store.person_names(db).items() if n == "P0")
    refused = lib.faces_of_truth(0)[5]
    store.add_rejection(db, refused, p0)
    place_with_named(db, precision=0.9)
    assert store.person_of(db, refused) != p0
    decided = {f: v for f, v in store.assignments(db).items() if v[1] == "confirmed"}
    assert len(decided) == 20  # confirmed faces stay where the user put them


def test_too_few_confirmed_people_place_nothing(make_lib) -> None:
    lib = make_lib(people=5, per=10, group_photos=0)
    p = store.create_person(lib.db, "Solo")
    for f in lib.faces_of_truth(0)[:5]:
        store.assign(lib.db, f, p, "confirmed", 1.0)
    assert place_with_named(lib.db) == {"threshold": None, "placed": 0}


"""Redo (issue 11): a step undo took back is done again exactly; a new decision ends the redo."""

from __future__ import annotations

from faceapp.jobs import people
from faceapp.storage import people as store


def _state(db) -> tuple:
    """Every decision the user sees: assignments (person, source), rejections, not-a-face marks,
    people (id, name, hidden) and the merges they dismissed."""
    assign = {f: v[:2] for f, v in store.assignments(db).items()}
    persons = sorted((p.id, p.name, p.hidden) for p in people.list_people(db, True))
    dismissed = sorted(db.execute("SELECT person_a, person_b FROM dismissed_merges").fetchall())
    return assign, store.rejections(db), store.not_faces(db), persons, dismissed


def _two(db, lib) -> tuple[int, int]:
    people.recluster(db)
    a, b = sorted({lib.person(f) for f in lib.truth} - {None})[:2]
    return a, b


def test_an_undone_merge_rename_and_confirm_are_redone_exactly(db, lib):
    a, b = _two(db, lib)
    people.name_person(db, a, "Alice")
    people.name_person(db, b, "Ann")
    face = store.faces_of(db, b)[0]
    steps = [lambda: people.merge_people(db, a, [b]), lambda: people.name_person(db, a, "Alicia"),
             lambda: people.confirm_faces(db, [face])]
    states = [_state(db)]
    for step in steps:
        step()
        states.append(_state(db))
    assert people.redo(db) is None  # nothing undone yet
    for k in range(3, 0, -1):  # undo all three, newest first
        assert people.undo(db) is not None
        assert _state(db) == states[k - 1]
    for k, action in enumerate(["merge", "name", "confirm"], start=1):  # redo in the order they were made
        assert people.redo(db)["action"] == action
        assert _state(db) == states[k]
    assert people.redo(db) is None
    assert store.person_row(db, b) is None  # the merged-away person is gone again
    people.undo(db)  # undo → redo → undo again still lands on the same state
    assert _state(db) == states[2]


def test_a_new_decision_ends_redo(db, lib):
    a, b = _two(db, lib)
    people.name_person(db, a, "Alice")
    people.undo(db)
    people.name_person(db, b, "Bob")  # a new step: the undone rename is no longer redoable
    assert people.redo(db) is None
    assert store.person_row(db, a)["name"] is None


def test_redo_of_a_split_brings_back_the_same_new_person(db, lib):
    a, _ = _two(db, lib)
    faces = store.faces_of(db, a)[:2]
    new = people.split_person(db, a, faces, "Twin")
    after = _state(db)
    people.undo(db)
    assert store.person_row(db, new) is None
    people.redo(db)
    assert _state(db) == after and store.person_row(db, new)["name"] == "Twin"

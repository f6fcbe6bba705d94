"""Decisions made while the library clusters: through a second connection to the same file, and
from another process. Clustering never fails on them and never overrides one."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections import Counter

import pytest

from faceapp.jobs import people
from faceapp.jobs import recluster as rc
from faceapp.storage import people as store
from faceapp.storage.db import open_library

from .conftest import FakeLibrary, assert_one_face_per_photo_per_person


def _writing(p) -> bool:
    """The re-cluster is about to write (its progress says the "writing" step)."""
    return p.stage == rc.STAGE and p.text == rc.STEPS["writing"]


def _second(path):
    """The user's window: another connection to the library that gives up fast when locked out
    (a user action must never wait for a whole clustering)."""
    other = open_library(path)
    other.execute("PRAGMA busy_timeout = 500")
    return other


def _by_truth(db, lib) -> dict[int, int]:
    out = {}
    for label in set(lib.truth.values()):
        votes = Counter(store.assignments(db).get(f, (None,))[0] for f in lib.faces_of_truth(label))
        votes.pop(None, None)
        out[label] = votes.most_common(1)[0][0]
    return out


@pytest.fixture
def file_lib(tmp_path):
    path = tmp_path / "lib.db"
    db = open_library(path)
    lib = FakeLibrary(db, people=5, per=8, seed=3)
    people.recluster(db)
    return path, db, lib


class _User:
    """A fixed script of decisions, one step per call, made through the second connection."""

    def __init__(self, other, db, lib) -> None:
        self.other, self.lib = other, lib
        byt = _by_truth(db, lib)
        self.byt = byt
        self.merged_away = byt[4]
        self.not_face = lib.faces_of_truth(2)[1]
        self.rejected = (lib.faces_of_truth(2)[0], byt[2])
        self.moved = (lib.faces_of_truth(0)[0], byt[1])
        self.steps = [
            lambda: people.merge_people(other, byt[3], [byt[4]]),  # a person goes away
            lambda: people.mark_not_face(other, [self.not_face]),
            lambda: people.reject_faces(other, [self.rejected[0]], self.rejected[1]),
            lambda: people.confirm_faces(other, [self.moved[0]], self.moved[1]),
        ]

    def act(self, n: int = 1) -> None:
        for _ in range(n):
            if self.steps:
                self.steps.pop(0)()

    def check(self, db) -> None:
        a = store.assignments(db)
        assert store.person_row(db, self.merged_away) is None
        assert self.merged_away not in {p for p, _, _ in a.values()}
        assert self.not_face not in a
        assert a.get(self.rejected[0], (None,))[0] != self.rejected[1]
        assert a[self.moved[0]][:2] == (self.moved[1], "confirmed")
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert_one_face_per_photo_per_person(db)


def test_decisions_at_every_write_step_never_fail_nor_get_overridden(file_lib):
    """Each time clustering is about to write, the user makes another decision: it writes anyway
    (reconciling inside the write transaction), without planning under the write lock."""
    path, db, lib = file_lib
    user = _User(_second(path), db, lib)

    def progress(p) -> None:
        if _writing(p):
            user.act()

    people.recluster(db, progress=progress)
    user.act(4)  # whatever is left of the script
    user.check(db)
    people.recluster(db)  # and a calm re-cluster agrees
    user.check(db)


def test_decisions_between_the_prototype_reads_neither_crash_nor_cache_stale(file_lib, monkeypatch):
    """The prototypes rebuilt after a re-cluster read faces, then their people, then save: a reject,
    a merge and a not-a-face in between made it fail with KeyError or FOREIGN KEY constraint failed
    (1 run in 2 of `faceapp cluster` beside a deciding user)."""
    import faceapp.jobs.recluster as rc

    path, db, lib = file_lib
    user = _User(_second(path), db, lib)
    real = rc.group_prototypes

    def then_user_acts(*a, **k):
        user.act(4)
        return real(*a, **k)

    monkeypatch.setattr(rc, "group_prototypes", then_user_acts)
    people.recluster(db)
    user.check(db)
    # a cached prototype never belongs to a person that is gone, nor summarises a face not in it
    owners = {r[0] for r in db.execute("SELECT DISTINCT person_id FROM person_prototypes")}
    assert user.merged_away not in owners
    monkeypatch.setattr(rc, "group_prototypes", real)
    people.assign_new(db)
    user.check(db)


def test_decisions_while_new_faces_are_placed(file_lib, monkeypatch):
    """assign_new plans outside the lock too; a decision made before it writes wins."""
    import faceapp.jobs.recluster as rc

    path, db, lib = file_lib
    other = _second(path)
    byt = _by_truth(db, lib)
    new0 = lib.add_face(0, seed=7)
    new4 = lib.add_face(4, seed=8)
    real, calls = rc.top2_by_group, []

    def then_user_acts(*a, **k):
        out = real(*a, **k)
        calls.append(1)
        if len(calls) == 1:
            people.reject_faces(other, [new0], byt[0])
        elif len(calls) == 2:
            people.merge_people(other, byt[3], [byt[4]])
        else:
            people.mark_not_face(other, [new4])
        return out

    monkeypatch.setattr(rc, "top2_by_group", then_user_acts)
    people.assign_new(db)
    a = store.assignments(db)
    assert a.get(new0, (None,))[0] != byt[0]
    assert new4 not in a and store.person_row(db, byt[4]) is None
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert_one_face_per_photo_per_person(db)


_CHILD = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    import faceapp.jobs.recluster as rc
    from faceapp.jobs import people
    from faceapp.storage.db import open_library

    path, flags, pause = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    seen = []

    def wait_for_user():
        seen.append(1)
        k = len(seen)
        if k > pause:
            return
        (flags / f"ready{k}").touch()
        t0 = time.monotonic()
        while not (flags / f"go{k}").exists():
            if time.monotonic() - t0 > 30:
                sys.exit("the test never said go")
            time.sleep(0.01)

    real = rc.group_prototypes
    def protos(*a, **k):
        out = real(*a, **k)
        wait_for_user()
        return out
    rc.group_prototypes = protos
    db = open_library(path)
    people.recluster(db, progress=lambda p: p.text == rc.STEPS["writing"] and wait_for_user())
    print("done")
""")


def test_decisions_from_another_process_while_faceapp_cluster_runs(file_lib, tmp_path):
    """The clustering runs in a child process that pauses before each write step (and after the
    prototypes' read); the user decides in this process at each pause."""
    path, db, lib = file_lib
    db.execute("PRAGMA busy_timeout = 500")
    db.execute("DELETE FROM person_prototypes")
    user = _User(db, db, lib)
    flags = tmp_path / "flags"
    flags.mkdir()
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    child = subprocess.Popen([sys.executable, str(script), str(path), str(flags), "4"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for k in range(1, 5):
            t0 = time.monotonic()
            while not (flags / f"ready{k}").exists() and child.poll() is None:
                assert time.monotonic() - t0 < 60, "the child never paused"
                time.sleep(0.01)
            if child.poll() is not None:
                break
            user.act()
            (flags / f"go{k}").touch()
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err[-3000:]
    assert "done" in out
    user.act(4)
    user.check(db)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_face_decided_while_planning_keeps_its_decision_and_steers_nothing(file_lib, monkeypatch):
    """The plan is written as it is (no re-plan): the face confirmed meanwhile stays where the user
    put it, and its cluster's other faces stay with their person (the next re-cluster sees it)."""
    import faceapp.jobs.recluster as rc

    path, db, lib = file_lib
    other = _second(path)
    byt = _by_truth(db, lib)
    moved = lib.faces_of_truth(0)[0]
    monkeypatch.setattr(rc.decisions, "version", lambda _db: 0)  # nothing looks changed: no re-plan
    people.recluster(db, progress=lambda p: _writing(p) and people.confirm_faces(other, [moved], byt[1]))
    a = store.assignments(db)
    assert a[moved][:2] == (byt[1], "confirmed")
    assert {a[f][0] for f in lib.faces_of_truth(0)[1:]} == {byt[0]}
    assert_one_face_per_photo_per_person(db)

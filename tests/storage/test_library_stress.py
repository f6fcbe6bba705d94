"""Several processes on one library at once, as a user's machine runs them (issue 10, item 5).

For STRESS_SECONDS, together on one library file:
- the window: one long-lived connection in this process writing decisions (renames, confirm, reject)
  through faceapp.jobs.people, each acknowledged write recorded;
- background reads in threads of this process, each open_library → read → close (the GUI's workers);
- the CLI in subprocesses: `people`, `name`, `cluster`, `confirm`;
- a "training child" subprocess that opens, reads and closes the library over and over (as
  faceapp/gui/train_process.py does, without torch);
- `faceapp scan` of a few fresh photos in another process.
Afterwards the file passes integrity and foreign-key checks, every acknowledged write is there, and
no process saw `disk I/O error`, `database is locked` or a malformed file.

Window and CLI write to disjoint people and faces, so the last acknowledged value of each is what
the library must hold, whatever order the processes ran in.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from faceapp import paths
from faceapp.jobs.people import PeopleError, confirm_faces, name_person, person_faces, recluster, reject_faces
from faceapp.storage.db import open_library
from faceapp.storage.people import list_persons

REPO = Path(__file__).resolve().parents[2]
STRESS_SECONDS = 12.0  # every pattern runs together this long; each subprocess then finishes its step
BAD = ("disk i/o error", "database is locked", "malformed", "not a database")

TRAINING_CHILD = """
import sys, time
from pathlib import Path
from faceapp.storage.db import open_library
db_path, stop = sys.argv[1], Path(sys.argv[2])
rounds = 0
while not stop.exists():
    db = open_library(db_path)  # as train_process.main: open, read the faces, close
    try:
        db.execute("SELECT f.id, f.crop FROM faces f JOIN face_assignments a ON a.face_id = f.id").fetchall()
        db.execute("SELECT id, model_id FROM models").fetchall()
    finally:
        db.conn.close()
    rounds += 1
    time.sleep(0.05)
print(rounds)
"""


@dataclass
class Log:
    """What every participant did: acknowledged writes, and anything that went wrong."""

    names: dict[int, str] = field(default_factory=dict)  # person → last acknowledged name
    confirmed: dict[int, int] = field(default_factory=dict)  # face → person it was confirmed in
    rejected: set[tuple[int, int]] = field(default_factory=set)  # (face, person)
    errors: list[str] = field(default_factory=list)  # sqlite errors, bad stderr, failed commands
    counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, what: str) -> None:
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def _faceapp(log: Log, *args: str) -> subprocess.CompletedProcess:
    out = subprocess.run([sys.executable, "-m", "faceapp", *args], capture_output=True, text=True, env=_env(),
                         timeout=300)
    log.count(args[0])
    if out.returncode != 0 or any(b in out.stderr.lower() for b in BAD):
        log.error(f"faceapp {' '.join(args)} → exit {out.returncode}: {out.stderr.strip()[-600:]}")
    return out


def _build_library(scanned: Path, tmp_path: Path) -> Path:
    """The sample album scanned and grouped, every person named (named people outlive a re-cluster)."""
    path = tmp_path / "library.db"
    shutil.copy(scanned, path)
    db = open_library(path)
    try:
        recluster(db)
        for p in list_persons(db, include_hidden=True):
            name_person(db, p.id, f"start-{p.id}")
    finally:
        db.conn.close()
    return path


def _plan(path: Path) -> tuple[list[int], list[int], list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int]]]:
    """Split people and faces between the window and the CLI: window people, CLI people, faces the
    window confirms, faces it rejects, faces the CLI confirms (each a (face, person) pair)."""
    db = open_library(path)
    try:
        people = [p.id for p in list_persons(db, include_hidden=True) if p.faces]
        faces = {p: [f.id for f in person_faces(db, p)] for p in people}
    finally:
        db.conn.close()
    window, cli = people[0::2], people[1::2]
    window_faces = [(f, p) for p in window for f in faces[p]]
    cli_faces = [(f, p) for p in cli for f in faces[p]]
    return window, cli, window_faces[0::2], window_faces[1::2], cli_faces


def _background_reads(path: Path, log: Log, stop: threading.Event) -> None:
    from faceapp.gui import services  # the GUI's read, without Qt
    from faceapp.storage.db import LibraryPool, check_library_file

    pool = LibraryPool(path)  # the GUI's loaders borrow long-lived connections
    rounds = 0
    while not stop.is_set():
        rounds += 1
        try:
            if rounds % 3 == 0:  # a fresh connection, read, closed (the jobs, and the GUI before)
                db = open_library(path)
                try:
                    services.list_people(db, include_hidden=True)
                finally:
                    db.conn.close()
            elif rounds % 3 == 1:
                with pool.connection() as db:
                    services.list_people(db, include_hidden=True)
            else:  # the look the app takes at a library it offers or opens (Open recent, recovery)
                check_library_file(path)
            log.count("background read")
        except Exception as exc:  # noqa: BLE001 - every failure is a finding
            log.error(f"background read: {type(exc).__name__}: {exc}")
        stop.wait(0.02)
    pool.close()


def _cli_loops(path: Path, log: Log, stop: threading.Event, people: list[int],
               faces: list[tuple[int, int]]) -> list[threading.Thread]:
    """One thread per command, each running its command again and again (at least once)."""
    db = str(path)

    def people_cmd(i: int) -> None:
        _faceapp(log, "people", "--db", db)

    def name_cmd(i: int) -> None:
        person, name = people[i % len(people)], f"cli-{people[i % len(people)]}-{i}"
        if _faceapp(log, "name", str(person), name, "--db", db).returncode == 0:
            log.names[person] = name

    def cluster_cmd(i: int) -> None:
        _faceapp(log, "cluster", "--db", db)

    def confirm_cmd(i: int) -> None:
        if faces:
            face, owner = faces.pop()
            if _faceapp(log, "confirm", str(face), "--person", str(owner), "--db", db).returncode == 0:
                log.confirmed[face] = owner

    def loop(cmd) -> None:  # noqa: ANN001
        for i in itertools.count():
            cmd(i)
            if stop.is_set():
                return

    return [threading.Thread(target=loop, args=(c,), daemon=True) for c in (people_cmd, name_cmd, cluster_cmd, confirm_cmd)]


def _scan_loop(path: Path, tmp_path: Path, log: Log, stop: threading.Event) -> None:
    photos = sorted(paths.SAMPLE_ALBUM.glob("*.jpg"))
    for i in itertools.count():
        if i and stop.is_set():
            return
        folder = tmp_path / f"new-photos-{i}"
        folder.mkdir()
        for k in range(3):  # fresh files, so the scan writes photos and faces
            shutil.copy(photos[(3 * i + k) % len(photos)], folder / f"copy{i}-{k}.jpg")
        _faceapp(log, "scan", str(folder), "--db", str(path), "--workers", "1", "--device", "cpu", "-q")


def _window(path: Path, log: Log, deadline: float, people: list[int], confirm: list[tuple[int, int]],
            reject: list[tuple[int, int]]) -> None:
    """The window's long-lived connection: one decision after another until the deadline."""
    db = open_library(path)
    try:
        for i in itertools.count():
            if time.monotonic() > deadline:
                return
            try:
                person = people[i % len(people)]
                name = f"win-{person}-{i}"
                name_person(db, person, name)
                log.names[person] = name
                log.count("window rename")
                if i % 4 == 1 and confirm:
                    face, owner = confirm.pop()
                    confirm_faces(db, [face], owner)
                    log.confirmed[face] = owner
                    log.count("window confirm")
                if i % 4 == 3 and reject:
                    face, owner = reject.pop()
                    reject_faces(db, [face], owner)
                    log.rejected.add((face, owner))
                    log.count("window reject")
            except PeopleError:
                log.count("window refused")  # a rule (e.g. one face per photo per person): nothing written
            except sqlite3.Error as exc:
                log.error(f"window write {i}: {type(exc).__name__}: {exc}")
            time.sleep(0.03)
    finally:
        db.conn.close()


@pytest.mark.slow
def test_library_stress_several_processes_at_once(scanned_sample, tmp_path):
    path = _build_library(scanned_sample, tmp_path)
    window_people, cli_people, confirm, reject, cli_faces = _plan(path)
    assert len(window_people) >= 2 and len(cli_people) >= 2 and cli_faces
    log, stop = Log(), threading.Event()
    stop_file = tmp_path / "stop-training"
    child = subprocess.Popen([sys.executable, "-c", TRAINING_CHILD, str(path), str(stop_file)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    threads = [threading.Thread(target=_background_reads, args=(path, log, stop), daemon=True) for _ in range(2)]
    threads += _cli_loops(path, log, stop, cli_people, cli_faces)
    threads.append(threading.Thread(target=_scan_loop, args=(path, tmp_path, log, stop), daemon=True))
    for t in threads:
        t.start()
    try:
        _window(path, log, time.monotonic() + STRESS_SECONDS, window_people, confirm, reject)
    finally:
        stop.set()
        stop_file.touch()
        for t in threads:
            t.join(timeout=300)
        out, err = child.communicate(timeout=120)
    if child.returncode != 0 or any(b in err.lower() for b in BAD):
        log.error(f"training child → exit {child.returncode}: {err.strip()[-600:]}")
    log.counts["training child rounds"] = int(out.strip() or 0)

    print(log.counts)  # shown with -s: how much ran together
    problems = _check(path, log)
    assert not problems, "\n".join(problems)
    ran = {k: log.counts.get(k, 0) for k in ("window rename", "background read", "people", "name", "cluster", "confirm",
                                             "scan", "training child rounds")}
    assert min(ran.values()) >= 1 and ran["window rename"] >= 10, ran


def _check(path: Path, log: Log) -> list[str]:
    """Everything wrong with the library and the run, as lines (a malformed file is one of them)."""
    problems = list(log.errors)
    conn = sqlite3.connect(path)
    try:
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
        if integrity != ["ok"]:
            return [f"integrity_check: {' | '.join(integrity)[:800]}", *problems]
        bad_keys = conn.execute("PRAGMA foreign_key_check").fetchall()
        names = dict(conn.execute("SELECT id, name FROM persons").fetchall())
        held = dict(conn.execute("SELECT face_id, person_id FROM face_assignments WHERE source = 'confirmed'").fetchall())
        rejections = set(conn.execute("SELECT face_id, person_id FROM face_rejections").fetchall())
    except sqlite3.DatabaseError as exc:
        return [f"reading the library afterwards: {exc}", *problems]
    finally:
        conn.close()
    if bad_keys:
        problems.append(f"foreign_key_check: {bad_keys[:10]}")
    lost = {p: (n, names.get(p)) for p, n in log.names.items() if names.get(p) != n}
    if lost:
        problems.append(f"acknowledged renames lost (person: (written, found)): {lost}")
    lost = {f: p for f, p in log.confirmed.items() if held.get(f) != p}
    if lost:
        problems.append(f"acknowledged confirmations lost (face: person): {lost}")
    if log.rejected - rejections:
        problems.append(f"acknowledged rejections lost (face, person): {sorted(log.rejected - rejections)}")
    return problems

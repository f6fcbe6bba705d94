"""Issue 10's reproducer: a background read (open_library, read, close) beside the window's live
connection must not drop the process's SQLite locks. If it does, the next process to finish (here
`faceapp name`) believes it is the library's last user, checkpoints and deletes -wal/-shm, and every
later write through the window goes into a deleted WAL file: another process never sees it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from faceapp.storage.db import open_library
from faceapp.storage.people import create_person

REPO = Path(__file__).resolve().parents[2]


def _faceapp(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "faceapp", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def _name_seen_by_another_process(db_path: Path, person: int) -> str | None:
    code = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
            "print(c.execute('SELECT name FROM persons WHERE id = ?', [int(sys.argv[2])]).fetchone()[0])")
    out = subprocess.run([sys.executable, "-c", code, str(db_path), str(person)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def _background_read(db_path: Path) -> None:
    bg = open_library(db_path)  # a background read, as every GUI worker did
    bg.execute("SELECT 1").fetchall()
    bg.conn.close()


def _library_check(db_path: Path) -> None:
    """What the app does with a library it is asked to open or offer (Open recent, the recovery
    check): it looks at the file while its own connections to it are live."""
    from faceapp.storage.db import check_library_file
    from faceapp.storage.integrity import library_problems

    check_library_file(db_path)
    assert library_problems(db_path) == []


@pytest.mark.parametrize("look", [_background_read, _library_check], ids=["background-read", "library-check"])
def test_a_background_read_keeps_the_windows_locks(tmp_path, look):
    db_path = tmp_path / "library.db"
    setup = open_library(db_path)
    person = create_person(setup, "nobody")
    setup.conn.close()

    app = open_library(db_path)  # the window's long-lived connection
    try:
        app.execute("UPDATE persons SET name = 'app0' WHERE id = ?", [person])
        look(db_path)
        cli = _faceapp("name", str(person), "cli0", "--db", str(db_path))
        assert cli.returncode == 0, cli.stderr
        app.execute("UPDATE persons SET name = 'app1' WHERE id = ?", [person])
        assert _name_seen_by_another_process(db_path, person) == "app1", "the window's write after the CLI was lost"
        # the CLI was not the library's last user: the window's WAL is still there
        assert Path(f"{db_path}-wal").exists(), "another process deleted the WAL under a live connection"
    finally:
        app.conn.close()
    check = sqlite3.connect(db_path)
    try:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert check.execute("SELECT name FROM persons WHERE id = ?", [person]).fetchone()[0] == "app1"
    finally:
        check.close()

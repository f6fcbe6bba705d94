"""Backups through SQLite's backup API, the library check, and restoring a damaged library."""

import sqlite3

import pytest

from faceapp.storage.backup import KEEP, backup_library, backups_of, newest_good_backup, restore_library
from faceapp.storage.db import forget_prepared, open_library
from faceapp.storage.migrations import MIGRATIONS


def _names(db):
    return [r[0] for r in db.execute("SELECT name FROM persons ORDER BY id")]


def test_backup_is_a_consistent_copy_while_another_connection_writes(tmp_path):
    lib = tmp_path / "lib.db"
    db = open_library(lib)
    other = open_library(lib)
    db.execute("INSERT INTO persons (id, name) VALUES (1, 'Ann')")
    other.conn.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO persons (id, name) VALUES (2, 'uncommitted')")
    target = backup_library(db, lib, reason="test")
    other.conn.execute("ROLLBACK")
    copy = sqlite3.connect(target)
    assert copy.execute("SELECT name FROM persons").fetchall() == [("Ann",)]
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy.close()
    assert target.parent == tmp_path / "backups" and backups_of(lib) == [target]


def test_only_the_newest_backups_are_kept(tmp_path):
    lib = tmp_path / "lib.db"
    db = open_library(lib)
    made = [backup_library(db, lib, reason=f"n{i}") for i in range(KEEP + 3)]
    assert backups_of(lib) == made[::-1][:KEEP]
    assert not made[0].exists()


def test_a_pending_migration_backs_the_library_up_first(tmp_path):
    lib = tmp_path / "lib.db"
    db = open_library(lib)
    db.execute("INSERT INTO persons (id, name) VALUES (1, 'Ann')")
    last = "0006_prototype_person_index"  # a migration that can run again (CREATE INDEX IF NOT EXISTS)
    assert last in dict(MIGRATIONS)
    db.execute("DELETE FROM _migrations WHERE name = ?", [last])  # as if made by the faceapp before it
    db.execute("DROP INDEX IF EXISTS person_prototypes_person")
    db.execute("PRAGMA user_version=0")
    db.conn.close()
    forget_prepared(lib)
    db = open_library(lib)
    found = backups_of(lib)
    assert len(found) == 1 and "before-migration" in found[0].name
    old = sqlite3.connect(found[0])
    assert last not in {r[0] for r in old.execute("SELECT name FROM _migrations")}
    old.close()
    assert last in {r[0] for r in db.execute("SELECT name FROM _migrations")}


def test_restore_over_a_damaged_library_keeps_the_damaged_file(tmp_path):
    lib = tmp_path / "lib.db"
    db = open_library(lib)
    db.execute("INSERT INTO persons (id, name) VALUES (1, 'Ann')")
    good = backup_library(db, lib, reason="test")
    db.execute("INSERT INTO persons (id, name) VALUES (2, 'Ben')")
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    with open(lib, "r+b") as f:  # the damage under test (no faceapp connection is open)
        f.write(b"garbage" * 20)
    assert newest_good_backup(lib) == good
    moved = restore_library(lib, good)
    assert moved is not None and moved.exists()
    assert _names(open_library(lib)) == ["Ann"]


def test_restore_into_an_open_library_is_seen_by_its_connections(tmp_path):
    lib = tmp_path / "lib.db"
    db = open_library(lib)
    db.execute("INSERT INTO persons (id, name) VALUES (1, 'Ann')")
    good = backup_library(db, lib, reason="test")
    db.execute("UPDATE persons SET name = 'renamed by mistake'")
    assert restore_library(lib, good) is None
    assert _names(db) == ["Ann"]
    assert any("before-restore" in p.name for p in backups_of(lib))  # the state just left is kept too


def test_check_finds_broken_invariants_and_cli_says_so(tmp_path, capsys):
    from faceapp.cli import main

    lib = tmp_path / "lib.db"
    db = open_library(lib)
    assert main(["library", "check", "--db", str(lib)]) == 0
    db.execute("PRAGMA foreign_keys=OFF")
    db.execute("INSERT INTO photos (id, path, status) VALUES (1, '/a.jpg', 'done')")
    db.execute("INSERT INTO faces (id, photo_id, landmarks, crop) VALUES (1, 1, '[]', x''), (2, 1, '[]', x'')")
    db.execute("INSERT INTO persons (id, name) VALUES (1, 'Ann')")
    db.execute("INSERT INTO face_assignments (face_id, person_id, source) VALUES (1, 1, 'user'), (2, 1, 'user')")
    db.execute("INSERT INTO face_assignments (face_id, person_id, source) VALUES (3, 99, 'user')")
    db.conn.close()
    capsys.readouterr()
    assert main(["library", "check", "--db", str(lib)]) == 1
    out = capsys.readouterr().out
    assert "two faces of one photo assigned to the same person" in out
    assert "person that does not exist" in out and "foreign keys" in out


@pytest.mark.parametrize("quick", [True, False])
def test_check_reports_a_damaged_file(tmp_path, capsys, quick):
    from faceapp.cli import main

    lib = tmp_path / "lib.db"
    db = open_library(lib)
    for i in range(2000):
        db.execute("INSERT INTO persons (name) VALUES (?)", [f"p{i}" * 20])
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    with open(lib, "r+b") as f:
        f.seek(4096 * 3)
        f.write(b"\xff" * 4096)
    forget_prepared(lib)
    args = ["library", "check", "--db", str(lib)] + (["--quick"] if quick else [])
    assert main(args) == 1
    assert "problem" in capsys.readouterr().out

"""What faceapp accepts as its library: SQLite's own identity fields, newer and read-only libraries."""

import sqlite3

import pytest

from faceapp.storage import db as dbmod
from faceapp.storage.db import APPLICATION_ID, LibraryTooNew, NotALibrary, forget_prepared, open_library
from faceapp.storage.migrations import known_version


def _pragma(path, name):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def test_new_library_carries_application_id_and_schema_version(tmp_path):
    path = tmp_path / "lib.db"
    open_library(path).conn.close()
    assert _pragma(path, "application_id") == APPLICATION_ID
    assert _pragma(path, "user_version") == known_version()


def test_library_made_before_the_identity_is_stamped_on_open(tmp_path):
    path = tmp_path / "old.db"
    open_library(path).conn.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id=0")
    conn.execute("PRAGMA user_version=0")
    conn.close()
    forget_prepared(path)
    open_library(path).conn.close()
    assert _pragma(path, "application_id") == APPLICATION_ID


def test_empty_database_another_program_marked_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version=7")
    conn.close()
    with pytest.raises(NotALibrary, match="another program"):
        open_library(path)
    assert _pragma(path, "user_version") == 7
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0  # nothing written into it
    conn.close()


def test_database_with_another_application_id_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id=1234")
    conn.execute("CREATE TABLE _migrations (name TEXT)")  # even one that looks like ours
    conn.close()
    with pytest.raises(NotALibrary, match="another program"):
        open_library(path)


def test_library_from_a_newer_faceapp_is_refused_unchanged(tmp_path):
    path = tmp_path / "lib.db"
    db = open_library(path)
    db.execute("INSERT INTO _migrations (name, applied_at) VALUES ('9001_from_the_future', 'x')")
    db.conn.close()
    forget_prepared(path)
    before = path.stat().st_mtime_ns, _pragma(path, "user_version")
    with pytest.raises(LibraryTooNew, match="newer faceapp"):
        open_library(path)
    assert (path.stat().st_mtime_ns, _pragma(path, "user_version")) == before


def test_library_with_a_newer_schema_version_is_refused(tmp_path):
    path = tmp_path / "lib.db"
    open_library(path).conn.close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={known_version() + 3}")
    conn.close()
    with pytest.raises(LibraryTooNew, match=f"knows up to {known_version()}"):
        open_library(path)


@pytest.mark.parametrize("target", ["/dev/null", "folder"])
def test_not_a_regular_file_is_refused(tmp_path, target):
    path = tmp_path / "folder" if target == "folder" else target
    (tmp_path / "folder").mkdir()
    with pytest.raises(NotALibrary):
        open_library(path)


def test_library_on_a_read_only_mount_opens_read_only(tmp_path, monkeypatch):
    path = tmp_path / "lib.db"
    db = open_library(path)
    db.execute("INSERT INTO persons (id, name) VALUES (1, 'Ann')")
    db.conn.close()
    forget_prepared(path)
    # A read-only mount: access() says no even to root (chmod would not stop root here).
    monkeypatch.setattr(dbmod.os, "access", lambda p, mode, **kw: False)
    ro = open_library(path)
    assert ro.read_only
    assert ro.execute("SELECT name FROM persons").fetchall() == [("Ann",)]
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        ro.execute("UPDATE persons SET name = 'Bo'")


def test_cli_refuses_dev_null_and_a_newer_library_in_words(tmp_path, capsys):
    from faceapp.cli import main

    assert main(["people", "--db", "/dev/null"]) == 2
    assert "not a regular file" in capsys.readouterr().err
    path = tmp_path / "lib.db"
    db = open_library(path)
    db.execute("INSERT INTO _migrations (name, applied_at) VALUES ('9001_from_the_future', 'x')")
    db.conn.close()
    forget_prepared(path)
    assert main(["people", "--db", str(path)]) == 2
    assert "update faceapp" in capsys.readouterr().err


def test_opening_to_read_never_waits_for_a_running_writer(tmp_path, monkeypatch):
    """A read-only command (faceapp people) opened beside a long write (a scan's transaction) must not
    need the write lock just to open: the identity is written only when it differs."""
    path = tmp_path / "lib.db"
    writer = open_library(path)
    writer.execute("INSERT INTO persons (id, name) VALUES (1, 'Ann')")
    forget_prepared(path)  # as a new process: the full check and migration step runs
    monkeypatch.setattr(dbmod, "BUSY_TIMEOUT_MS", 50)
    writer.conn.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO persons (id, name) VALUES (2, 'Ben')")
    try:
        reader = open_library(path)
        assert reader.execute("SELECT name FROM persons").fetchall() == [("Ann",)]
    finally:
        writer.conn.execute("ROLLBACK")

"""The CLI ends in words, not tracebacks: a reader that leaves the pipe, a full disk, a busy library."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from faceapp.storage.db import open_library

REPO = Path(__file__).resolve().parents[1]


def test_output_into_a_closed_pipe_is_not_an_error(tmp_path):
    """`faceapp people | head` : the reader may leave before faceapp has printed everything."""
    lib = tmp_path / "lib.db"
    open_library(lib).conn.close()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "faceapp", "people", "--db", str(lib)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before the first line
    err = proc.stderr.read().decode()
    proc.wait(60)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert proc.returncode == 0


def test_full_disk_is_said_in_words(tmp_path, capsys, monkeypatch):
    from faceapp.cli import main, people_cmds

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(people_cmds, "_act", full)
    lib = tmp_path / "lib.db"
    db = open_library(lib)
    db.execute("INSERT INTO persons (id, name) VALUES (1, 'Ann')")
    assert main(["name", "1", "Bo", "--db", str(lib)]) == 1
    err = capsys.readouterr().err
    assert "disk is full" in err and "Traceback" not in err


def test_a_bug_still_shows_its_traceback(tmp_path, monkeypatch):
    """Only the machine's failures are turned into words; faceapp's own bugs are not hidden."""
    import pytest

    from faceapp.cli import main, people_cmds

    def bug(*args, **kwargs):
        raise sqlite3.OperationalError("no such column: nope")

    monkeypatch.setattr(people_cmds, "_act", bug)
    lib = tmp_path / "lib.db"
    db = open_library(lib)
    db.execute("INSERT INTO persons (id, name) VALUES (1, 'Ann')")
    with pytest.raises(sqlite3.OperationalError, match="no such column"):
        main(["name", "1", "Bo", "--db", str(lib)])

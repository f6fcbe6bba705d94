"""Backups of a library, made and restored through SQLite's online backup API only.

A backup is a consistent copy taken while other processes keep reading and writing (never a file copy
of the library or its -wal: see faceapp.storage.db). They live in `backups/` beside the library, named
`<library stem>-<UTC time>-<reason>.db`; the newest KEEP of each library are kept.
"""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlite_utils import Database

KEEP = 5
BACKUP_DIR = "backups"


def backup_dir(library: str | Path) -> Path:
    return Path(library).resolve().parent / BACKUP_DIR


def backups_of(library: str | Path) -> list[Path]:
    """This library's backups, newest first."""
    folder = backup_dir(library)
    stem = Path(library).stem
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob(f"{stem}-*.db") if p.is_file() and p.name[len(stem) + 1:][:8].isdigit()]
    return sorted(found, key=lambda p: p.name, reverse=True)


def library_file(db: Database) -> Path | None:
    """The file behind an open library (None for an in-memory one)."""
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return Path(file) if file else None
    return None


def backup_library(db: Database, library: str | Path | None = None, *, reason: str) -> Path | None:
    """A consistent copy of the open library `db` (whose file is `library`, by default the one it has
    open) into its backup folder; the oldest beyond KEEP are removed. Returns the backup's path (None
    for an in-memory library, which has nothing to keep)."""
    library = library or library_file(db)
    if library is None:
        return None
    folder = backup_dir(library)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%f")
    target = folder / f"{Path(library).stem}-{stamp}-{reason}.db"
    tmp = target.with_suffix(".db.part")
    dst = sqlite3.connect(str(tmp))
    try:
        db.conn.backup(dst, pages=4096, sleep=0.005)
        dst.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
    finally:
        dst.close()
    os.replace(tmp, target)  # the backup file, never the library: a half-written copy is never offered
    for old in backups_of(library)[KEEP:]:
        old.unlink(missing_ok=True)
    return target


def check_backup(path: str | Path) -> list[str]:
    """Problems SQLite finds in a backup file (empty: it is good)."""
    from faceapp.storage.integrity import check_connection

    conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        return check_connection(conn, quick=False)
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        conn.close()


def newest_good_backup(library: str | Path) -> Path | None:
    for p in backups_of(library):
        if not check_backup(p):
            return p
    return None


def restore_library(library: str | Path, backup: str | Path) -> Path | None:
    """Replace the library's content by a backup's, through the backup API (other connections see
    the new content at their next read). The current content is backed up first when it can be read;
    a library SQLite can't even open as a database is moved aside as `<name>.damaged-<time>` (with its
    -wal/-shm) so the backup can take its place. Returns where the damaged file went, or None."""
    from faceapp.storage.db import BUSY_TIMEOUT_MS, NotALibrary, check_library_file, forget_prepared

    library, backup = Path(library), Path(backup)
    problems = check_backup(backup)
    if problems:
        raise NotALibrary(f"{backup} is not a good backup: {problems[0]}")
    check_library_file(backup)
    moved = None
    src = sqlite3.connect(backup.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        if library.exists():
            try:
                live = sqlite3.connect(str(library), timeout=BUSY_TIMEOUT_MS / 1000)
                try:
                    live.execute("PRAGMA quick_check").fetchall()
                    backup_library(Database(live), library, reason="before-restore")
                finally:
                    live.close()
            except sqlite3.DatabaseError:
                moved = _move_aside(library)
        dst = sqlite3.connect(str(library), timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    finally:
        src.close()
    forget_prepared(library)
    return moved


def _move_aside(library: Path) -> Path:
    """A file SQLite can't read as a database can't be restored into: set it (and its -wal/-shm)
    aside, kept for the user, so the backup is written into a fresh file."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = library.with_name(f"{library.name}.damaged-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(library) + suffix)
        if src.exists():
            os.replace(src, Path(str(target) + suffix))
    return target


def copy_library(src: Database | str | Path, dst: str | Path) -> Path:
    """A copy of a library (open, or the file at `src`) as a new file `dst`, through the backup API
    (safe while `src` is open in this or another process)."""
    dst = Path(dst)
    own = not isinstance(src, Database)
    source = sqlite3.connect(Path(src).resolve().as_uri() + "?mode=ro", uri=True, timeout=30) if own else src.conn
    target = sqlite3.connect(str(dst))
    try:
        source.backup(target)
    finally:
        target.close()
        if own:
            source.close()
    return dst

"""Open a library database: WAL, foreign keys, busy timeout, migrations applied, identity checked.

The library file is SQLite's alone. Nothing here (or anywhere in faceapp) opens it, its `-wal` or its
`-shm` with plain file I/O: on POSIX, closing *any* descriptor of a file drops every advisory lock the
process holds on it, including those of its live SQLite connections, and another process then deletes
the WAL under them (this corrupted real libraries). The header and identity checks go through a
read-only SQLite connection, which shares SQLite's per-process lock bookkeeping with the others.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlite_utils import Database

from faceapp.errors import FaceappError
from faceapp.storage.migrations import MIGRATIONS, apply_migrations, known_version, pending_migrations

APPLICATION_ID = 0x46434150  # "FCAP": SQLite's own field says "a faceapp library" (PRAGMA application_id)
BUSY_TIMEOUT_MS = 30_000


class NotALibrary(FaceappError, ValueError):
    """The file exists but is not a faceapp library: faceapp will not write its tables into it."""


class DamagedLibrary(NotALibrary):
    """An SQLite file that can't be read as one (a damaged page, a header overwritten): a backup of it
    may help, unlike another program's file or a newer faceapp's library."""

    def __init__(self, message: str, header_lost: bool = False) -> None:
        super().__init__(message)
        self.header_lost = header_lost  # the first page isn't SQLite's (overwritten, or never a library)


class LibraryTooNew(NotALibrary):
    """A library written by a newer faceapp (a migration this one does not know)."""


def file_uri(path: str | Path, **params: str) -> str:
    """A proper file: URI (a path may hold '#', '?' or '%'), with query parameters."""
    uri = Path(path).resolve().as_uri()
    return uri + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def _writable(p: Path) -> bool:
    """Can SQLite write here: the file and its folder (WAL needs the -wal and -shm files beside it)."""
    folder = p.parent if p.parent != Path("") else Path(".")
    return os.access(folder, os.W_OK) and (not p.exists() or os.access(p, os.W_OK))


def _read_identity(p: Path) -> tuple[int, int, set[str], set[str]]:
    """(application_id, user_version, table names, migration names) through a read-only connection."""
    params = {"mode": "ro"} if _writable(p) else {"mode": "ro", "immutable": "1"}
    conn = sqlite3.connect(file_uri(p, **params), uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        names = {r[0] for r in conn.execute("SELECT name FROM _migrations")} if "_migrations" in tables else set()
    finally:
        conn.close()
    return app_id, version, tables, names


def check_library_file(path: str | Path) -> None:
    """Refuse a file that is not a faceapp library (not SQLite, damaged, another program's database, an
    empty database some other program marked as its own) or one from a newer faceapp. A missing or
    empty file is a new library. Reads only through SQLite (see the module docstring)."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        raise NotALibrary(f"{p} is a folder, not a library file")
    if not stat.S_ISREG(st.st_mode):
        raise NotALibrary(f"{p} is not a regular file (a device, pipe or socket); a library is a file")
    if st.st_size == 0:
        return
    try:
        app_id, version, tables, names = _read_identity(p)
    except sqlite3.DatabaseError as exc:
        text = str(exc)
        if "not a database" in text:
            raise DamagedLibrary(f"{p} is not a faceapp library (not an SQLite database)", header_lost=True) from exc
        raise DamagedLibrary(f"{p} is a damaged or unreadable SQLite file ({exc}); faceapp will not write into it") from exc
    if app_id not in (0, APPLICATION_ID):
        raise NotALibrary(f"{p} belongs to another program (SQLite application_id {app_id:#x}); faceapp will not write into it")
    if app_id == 0 and "_migrations" not in tables:
        if tables:
            shown = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
            raise NotALibrary(f"{p} is another program's database (tables: {shown}); faceapp will not write into it")
        if version:
            raise NotALibrary(f"{p} is an empty database another program marked as its own (user_version {version}); "
                              "faceapp will not write into it")
    unknown = names - {name for name, _ in MIGRATIONS}
    if unknown or version > known_version():
        raise LibraryTooNew(
            f"{p} was written by a newer faceapp (library schema {max(version, len(names))}, this faceapp knows "
            f"up to {known_version()}: {', '.join(sorted(unknown)) or 'newer migrations'}); update faceapp to open it"
        )


def _configure(conn: sqlite3.Connection, wal: bool) -> None:
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")


_prepared: set[str] = set()  # libraries this process has checked and migrated (resolved paths)
_prepared_lock = threading.Lock()


def _prepare(p: Path) -> None:
    """Check, back up (when a migration is due) and migrate a library, once per process."""
    key = str(p.resolve())
    with _prepared_lock:
        if key in _prepared and _still_prepared(p):
            return
        check_library_file(p)
        p.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(p), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False, isolation_level=None)
        try:
            _configure(conn, wal=True)
            db = Database(conn)
            pending = pending_migrations(db)
            if pending and _has_data(db):
                from faceapp.storage.backup import backup_library

                backup_library(db, p, reason="before-migration")
            apply_migrations(db)
            stamp_identity(db)
        finally:
            conn.close()
        _prepared.add(key)


def _still_prepared(p: Path) -> bool:
    """A file prepared earlier in this process may have been replaced since (deleted and made anew)."""
    try:
        app_id, version, _, _ = _read_identity(p)
    except sqlite3.DatabaseError:
        return False
    return app_id == APPLICATION_ID and version == known_version()


def _has_data(db: Database) -> bool:
    return bool(db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'photos'").fetchone()[0])


def stamp_identity(db: Database) -> None:
    """SQLite's own fields say what this file is: application_id (faceapp) and user_version (schema).
    Written only when they differ (a write takes the library's write lock: a read-only command must
    not wait behind a running scan for it)."""
    if db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        db.execute(f"PRAGMA application_id={APPLICATION_ID}")
    if db.execute("PRAGMA user_version").fetchone()[0] != known_version():
        db.execute(f"PRAGMA user_version={known_version()}")


def forget_prepared(path: str | Path) -> None:
    """Check and migrate `path` again at its next open (after a restore replaced its content)."""
    with _prepared_lock:
        _prepared.discard(str(Path(path).resolve()))


def open_library(path: str | Path = ":memory:", *, read_only: bool | None = None) -> Database:
    """Autocommit connection; write paths group their statements with storage.tx.transaction.

    Raises NotALibrary for a file that is not a faceapp library (see check_library_file) and
    LibraryTooNew for one from a newer faceapp. A library on a read-only mount (or `read_only=True`)
    is opened read-only: `db.read_only` is True and any write fails with "attempt to write a readonly
    database". The check and migrations run once per process and library."""
    if str(path) == ":memory:":
        conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        _configure(conn, wal=False)
        db = Database(conn)
        apply_migrations(db)
        stamp_identity(db)
        db.read_only = False  # type: ignore[attr-defined]
        return db
    p = Path(path)
    if read_only is None:
        read_only = p.exists() and not _writable(p)
    if read_only:
        check_library_file(p)
        if not p.exists():
            raise NotALibrary(f"{p} does not exist (nothing to open read-only)")
        params = {"mode": "ro"} if _writable(p) else {"mode": "ro", "immutable": "1"}
        conn = sqlite3.connect(file_uri(p, **params), uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                               check_same_thread=False, isolation_level=None)
        _configure(conn, wal=False)
        db = Database(conn)
        if pending_migrations(db):
            conn.close()
            raise NotALibrary(f"{p} is read-only and was written by an older faceapp: it needs an upgrade "
                              "that can't be written there; copy it somewhere writable to open it")
        db.read_only = True  # type: ignore[attr-defined]
        return db
    _prepare(p)
    conn = sqlite3.connect(str(p), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False, isolation_level=None)
    _configure(conn, wal=True)
    db = Database(conn)
    db.read_only = False  # type: ignore[attr-defined]
    return db


class LibraryPool:
    """Long-lived connections to one library, lent to one thread at a time: background readers borrow
    one (`with pool.connection() as db:`) instead of opening a connection per read. Connections are
    opened on demand (as many as readers run at once) and kept until `close()`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._idle: list[Database] = []
        self._lent = 0
        self._lock = threading.Lock()
        self._closed = False

    @contextmanager
    def connection(self) -> Iterator[Database]:
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self.path} is closed")
            db = self._idle.pop() if self._idle else None
            self._lent += 1
        try:
            if db is None:
                db = open_library(self.path)
            if db.conn.in_transaction:  # a reader that failed half-way must not pin an old snapshot
                db.conn.rollback()
            yield db
        finally:
            with self._lock:
                self._lent -= 1
                keep = db is not None and not self._closed
                if keep:
                    self._idle.append(db)
            if db is not None and not keep:
                db.conn.close()

    @property
    def opened(self) -> int:
        """Connections open now (idle and lent)."""
        with self._lock:
            return len(self._idle) + self._lent

    def close(self) -> None:
        """Close the idle connections now; those lent close when they come back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for db in idle:
            db.conn.close()


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")

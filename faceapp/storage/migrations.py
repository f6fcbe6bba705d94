"""Named schema migrations, applied in order, each once, each in its own transaction.

Add a migration by appending (name, function); never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from sqlite_utils import Database

from faceapp.storage.tx import transaction


def _run_script(db: Database, script: str) -> None:
    # executescript() would COMMIT the migration's transaction half-way; run statement by statement.
    for stmt in script.split(";"):
        if stmt.strip():
            db.execute(stmt)


def _initial(db: Database) -> None:
    _run_script(
        db,
        """
        CREATE TABLE photos (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            size INTEGER,
            mtime REAL,
            hash TEXT,
            taken_at TEXT,
            width INTEGER,
            height INTEGER,
            status TEXT NOT NULL DEFAULT 'pending',   -- pending | done | error | missing
            error TEXT,                               -- short reason code
            error_detail TEXT,
            face_count INTEGER,
            scanned_at TEXT
        );
        CREATE INDEX photos_hash ON photos(hash);
        CREATE INDEX photos_status ON photos(status);
        CREATE TABLE faces (
            id INTEGER PRIMARY KEY,
            photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
            x REAL, y REAL, w REAL, h REAL,
            landmarks TEXT NOT NULL,                  -- JSON [[x, y] × 5] in photo pixels
            score REAL,
            quality REAL,
            crop BLOB NOT NULL                        -- aligned 112×112 RGB, PNG
        );
        CREATE INDEX faces_photo ON faces(photo_id);
        CREATE TABLE models (
            id INTEGER PRIMARY KEY,
            model_id TEXT NOT NULL UNIQUE,
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            metadata TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 0,
            created_at TEXT
        );
        CREATE TABLE embeddings (
            face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
            model INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
            vector BLOB NOT NULL,                     -- float32, L2-normalised
            PRIMARY KEY (face_id, model)
        );
        CREATE TABLE persons (
            id INTEGER PRIMARY KEY,
            name TEXT,
            hidden INTEGER NOT NULL DEFAULT 0,
            created_at TEXT
        );
        CREATE TABLE face_assignments (
            face_id INTEGER PRIMARY KEY REFERENCES faces(id) ON DELETE CASCADE,
            person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
            source TEXT NOT NULL,                     -- cluster | auto | user | confirmed
            score REAL,
            updated_at TEXT
        );
        CREATE INDEX face_assignments_person ON face_assignments(person_id);
        CREATE TABLE face_rejections (
            face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
            person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
            created_at TEXT,
            PRIMARY KEY (face_id, person_id)
        );
        CREATE TABLE not_faces (
            face_id INTEGER PRIMARY KEY REFERENCES faces(id) ON DELETE CASCADE,
            created_at TEXT
        );
        CREATE TABLE history (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            action TEXT NOT NULL,
            payload TEXT NOT NULL,                    -- JSON: what undo needs
            undone INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE roots (
            path TEXT PRIMARY KEY,
            added_at TEXT
        );
        CREATE TABLE scans (
            id INTEGER PRIMARY KEY,
            started_at TEXT,
            finished_at TEXT,
            roots TEXT,
            stats TEXT
        );
        """
    )


def _people_decisions(db: Database) -> None:
    """Merge suggestions a user dismissed are decisions too; indexes for the people queries."""
    _run_script(
        db,
        """
        CREATE TABLE dismissed_merges (
            person_a INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
            person_b INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
            created_at TEXT,
            PRIMARY KEY (person_a, person_b)
        );
        CREATE INDEX face_rejections_person ON face_rejections(person_id);
        CREATE INDEX face_assignments_source ON face_assignments(source);
        CREATE INDEX history_undone ON history(undone, id)
        """,
    )


def _counters(db: Database) -> None:
    """Ids that must never be reused (a deleted person's id may come back through undo)."""
    _run_script(
        db,
        """
        CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT INTO counters (name, value) SELECT 'person', coalesce(max(id), 0) FROM persons
        """,
    )


def _prototypes(db: Database) -> None:
    """Cached person prototypes per model, so placing new faces never re-reads a million known ones."""
    _run_script(
        db,
        """
        CREATE TABLE person_prototypes (
            person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
            model INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
            vector BLOB NOT NULL
        );
        CREATE INDEX person_prototypes_model ON person_prototypes(model, person_id)
        """,
    )


def _face_ids(db: Database) -> None:
    """Face ids that are never reused: decisions and history name faces by id, so a face deleted
    with its photo must not lend its id to the next face found. A high-water mark kept by a trigger
    (the table is not rebuilt: a DROP of faces would cascade through every decision)."""
    db.execute("INSERT OR REPLACE INTO counters (name, value) SELECT 'face', coalesce(max(id), 0) FROM faces")
    db.execute(  # one statement: _run_script would split the trigger's body at its semicolon
        "CREATE TRIGGER faces_high_water AFTER INSERT ON faces BEGIN "
        "UPDATE counters SET value = max(value, NEW.id) WHERE name = 'face'; END"
    )


def _prototype_person_index(db: Database) -> None:
    """Prototypes found by person: a user's decision drops its people's cached prototypes, and a
    deleted person cascades to theirs; without this index each of those scanned the whole table."""
    db.execute("CREATE INDEX IF NOT EXISTS person_prototypes_person ON person_prototypes(person_id)")


def _photo_identity(db: Database) -> None:
    """Which file a photo's path held when it was scanned (inode and ctime): a rename keeps size and
    mtime, so without this two swapped photos looked unchanged and kept each other's faces."""
    db.execute("ALTER TABLE photos ADD COLUMN identity TEXT")


def _user_faces_birth_dates(db: Database) -> None:
    """Faces the user drew (source 'user'; the scan's are 'detected'): a rescan keeps them, as it
    keeps decisions. A person's birth date (ISO YYYY-MM-DD, optional): the age on each photo."""
    db.execute("ALTER TABLE faces ADD COLUMN source TEXT NOT NULL DEFAULT 'detected'")
    db.execute("ALTER TABLE persons ADD COLUMN birth_date TEXT")


MIGRATIONS: list[tuple[str, Callable[[Database], None]]] = [
    ("0001_initial", _initial),
    ("0002_people_decisions", _people_decisions),
    ("0003_counters", _counters),
    ("0004_person_prototypes", _prototypes),
    ("0005_face_ids", _face_ids),
    ("0006_prototype_person_index", _prototype_person_index),
    ("0007_photo_identity", _photo_identity),
    ("0008_user_faces_birth_dates", _user_faces_birth_dates),
]


def known_version() -> int:
    """The schema version this faceapp writes into SQLite's user_version: its number of migrations."""
    return len(MIGRATIONS)


def pending_migrations(db: Database) -> list[str]:
    """The names of the migrations this library has not had yet (reads only)."""
    has_table = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'").fetchone()
    done = {r[0] for r in db.execute("SELECT name FROM _migrations")} if has_table else set()
    return [name for name, _ in MIGRATIONS if name not in done]


def apply_migrations(db: Database) -> list[str]:
    """Apply the pending migrations; returns their names."""
    pending = set(pending_migrations(db))
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    applied = []
    for name, fn in MIGRATIONS:
        if name not in pending:
            continue
        with transaction(db):
            fn(db)
            db.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                [name, datetime.now(timezone.utc).isoformat()],
            )
        applied.append(name)
    return applied

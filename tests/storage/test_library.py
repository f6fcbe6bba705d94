import numpy as np
import pytest

from faceapp.storage.db import open_library
from faceapp.storage.faces import decode_crop, encode_crop
from faceapp.storage.migrations import MIGRATIONS, apply_migrations
from faceapp.storage.photos import save_photo
from faceapp.storage.tx import transaction


def test_fresh_library_has_schema_and_wal(tmp_path):
    db = open_library(tmp_path / "lib.db")
    assert {"photos", "faces", "models", "embeddings", "persons", "face_assignments", "history"} <= set(db.table_names())
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = [r[0] for r in db.execute("SELECT name FROM _migrations ORDER BY name")]
    assert names == sorted(n for n, _ in MIGRATIONS)
    assert apply_migrations(db) == []  # idempotent


def test_reopen_keeps_data(tmp_path):
    db = open_library(tmp_path / "lib.db")
    save_photo(db, "/x/a.jpg", 10, 1.0, "h", error=("corrupt", "bad"))
    db.conn.close()
    db2 = open_library(tmp_path / "lib.db")
    assert db2.execute("SELECT path, status, error FROM photos").fetchall() == [("/x/a.jpg", "error", "corrupt")]


def test_transaction_rolls_back_everything(db):
    crop = np.zeros((112, 112, 3), np.uint8)
    with pytest.raises(RuntimeError):
        with transaction(db):
            save_photo(db, "/x/a.jpg", 10, 1.0, "h", faces=[{"box": [0, 0, 5, 5], "landmarks": np.zeros((5, 2)),
                                                            "score": 0.9, "quality": 0.5, "crop": crop}])
            raise RuntimeError("boom")
    assert db.execute("SELECT count(*) FROM photos").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM faces").fetchone()[0] == 0


def test_crop_roundtrip_is_lossless():
    crop = np.random.default_rng(0).integers(0, 255, (112, 112, 3), dtype=np.uint8)
    np.testing.assert_array_equal(decode_crop(encode_crop(crop)), crop)


def test_rescanning_a_changed_photo_replaces_its_faces(db):
    crop = np.zeros((112, 112, 3), np.uint8)
    face = {"box": [0, 0, 5, 5], "landmarks": np.zeros((5, 2)), "score": 0.9, "quality": 0.5, "crop": crop}
    pid = save_photo(db, "/x/a.jpg", 10, 1.0, "h1", faces=[face, face])
    assert save_photo(db, "/x/a.jpg", 11, 2.0, "h2", faces=[face]) == pid
    assert db.execute("SELECT count(*) FROM faces WHERE photo_id = ?", [pid]).fetchone()[0] == 1


def test_redetected_photo_keeps_face_rows_that_overlap(db):
    crop = np.zeros((112, 112, 3), np.uint8)

    def face(x, y):
        return {"box": [x, y, 50, 50], "landmarks": np.zeros((5, 2)), "score": 0.9, "quality": 0.5, "crop": crop}

    pid = save_photo(db, "/x/a.jpg", 10, 1.0, "h1", faces=[face(0, 0), face(200, 0)])
    a = db.execute("SELECT id FROM faces ORDER BY x").fetchone()[0]
    db.execute("INSERT INTO persons (id, name) VALUES (1, 'Ann')")
    db.execute("INSERT INTO face_assignments (face_id, person_id, source) VALUES (?, 1, 'confirmed')", [a])
    # edited photo: the first face moved a little, the second is gone, a third appeared
    save_photo(db, "/x/a.jpg", 11, 2.0, "h2", faces=[face(400, 0), face(5, 3)])
    rows = db.execute("SELECT id, x FROM faces WHERE photo_id = ? ORDER BY x", [pid]).fetchall()
    assert rows[0] == (a, 5.0) and [r[1] for r in rows] == [5.0, 400.0]
    assert db.execute("SELECT person_id, source FROM face_assignments WHERE face_id = ?", [a]).fetchone() == (1, "confirmed")


def test_face_ids_are_never_reused_after_the_newest_face_is_dropped(tmp_path):
    db = open_library(tmp_path / "lib.db")
    crop = np.zeros((112, 112, 3), np.uint8)

    def face(x):
        return {"box": [x, 0, 50, 50], "landmarks": np.zeros((5, 2)), "score": 0.9, "quality": 0.5, "crop": crop}

    save_photo(db, "/x/a.jpg", 10, 1.0, "h1", faces=[face(0), face(200)])
    newest = db.execute("SELECT max(id) FROM faces").fetchone()[0]
    # the photo changes and its second face is gone: that face row (the newest id) is deleted
    save_photo(db, "/x/a.jpg", 11, 2.0, "h2", faces=[face(0)])
    assert db.execute("SELECT max(id) FROM faces").fetchone()[0] < newest
    db.conn.close()
    db = open_library(tmp_path / "lib.db")  # the mark survives a reopen
    save_photo(db, "/x/b.jpg", 10, 1.0, "h3", faces=[face(0)])
    assert db.execute("SELECT max(id) FROM faces").fetchone()[0] == newest + 1


def test_open_library_refuses_files_that_are_not_faceapp_libraries(tmp_path, foreign_db):
    import pytest

    from faceapp.storage.db import NotALibrary, open_library

    text = tmp_path / "notes.db"
    text.write_text("not a database")
    for path, words in ((text, "not an SQLite database"), (foreign_db, "another program's database")):
        before = path.read_bytes()
        with pytest.raises(NotALibrary, match=words):
            open_library(path)
        assert path.read_bytes() == before
    empty = tmp_path / "empty.db"
    empty.touch()
    open_library(empty).conn.close()  # an empty file is a new library
    open_library(empty).conn.close()  # and a library opens again


def test_the_library_check_reads_paths_with_uri_characters_and_damaged_files(tmp_path):
    import shutil
    import sqlite3

    import pytest

    from faceapp.storage.db import NotALibrary, open_library

    odd = tmp_path / "photos #1 ?x %41"
    odd.mkdir()
    foreign = odd / "contacts.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE contacts (id INTEGER)")
    conn.commit()
    conn.close()
    before = foreign.read_bytes()
    with pytest.raises(NotALibrary, match="another program's database"):
        open_library(foreign)
    assert foreign.read_bytes() == before
    ours = odd / "library.db"
    open_library(ours).conn.close()
    open_library(ours).conn.close()  # a library in such a folder opens again
    damaged = tmp_path / "damaged.db"
    shutil.copy(foreign, damaged)
    with damaged.open("r+b") as fh:  # keep the SQLite header, wreck the schema page
        fh.seek(100)
        fh.write(b"\xff" * 3000)
    with pytest.raises(NotALibrary, match="damaged"):
        open_library(damaged)

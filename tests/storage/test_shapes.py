"""The small shared pieces of storage: the vector codec, chunked IN lists, `with library(path)`."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from faceapp.storage.backup import copy_library
from faceapp.storage.chunks import CHUNK, chunks, execute_in, placeholders
from faceapp.storage.db import open_library
from faceapp.storage.session import library
from faceapp.storage.vectors import decode_vector, decode_vectors, encode_vector


def test_a_vector_round_trips_as_float32_bytes():
    v = np.array([0.5, -1.25, 3.0], np.float64)
    blob = encode_vector(v)
    assert blob == np.float32([0.5, -1.25, 3.0]).tobytes()  # the stored format itself (old libraries hold it)
    assert decode_vector(blob).dtype == np.float32 and decode_vector(blob).tolist() == [0.5, -1.25, 3.0]
    m = decode_vectors([blob, encode_vector([1, 2, 3])])
    assert m.shape == (2, 3) and m.flags.writeable and m[1].tolist() == [1, 2, 3]
    with pytest.raises(ValueError):
        decode_vectors([blob, encode_vector([1, 2])])


def test_ids_beyond_one_statement_go_in_chunks_in_their_order():
    db = open_library()
    db.conn.executemany("INSERT INTO persons (id, name, hidden, created_at) VALUES (?, ?, 0, '')",
                        [(i, f"p{i}") for i in range(1, 2 * CHUNK + 11)])
    ids = list(range(2 * CHUNK + 10, 0, -1))
    assert [len(c) for c in chunks(ids)] == [CHUNK, CHUNK, 10] and placeholders(3) == "?,?,?"
    rows = execute_in(db, "SELECT id FROM persons WHERE name != ? AND id IN ({q}) AND hidden = ? ORDER BY id",
                      ids, before=["p5"], after=[0])
    assert len(rows) == 2 * CHUNK + 9 and (5,) not in rows
    assert execute_in(db, "SELECT id FROM persons WHERE id IN ({q})", []) == []


def test_library_closes_its_connection_even_on_error(tmp_path):
    with pytest.raises(RuntimeError), library(tmp_path / "lib.db") as db:
        db.execute("INSERT INTO persons (id, name, hidden, created_at) VALUES (1, 'Ann', 0, '')")
        raise RuntimeError("stop")
    with pytest.raises(sqlite3.ProgrammingError):
        db.execute("SELECT 1")
    copy_library(tmp_path / "lib.db", tmp_path / "copy.db")
    with library(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT name FROM persons").fetchall() == [("Ann",)]

"""The clustering's input: embeddings read from the library in chunks, equal to decoding them all."""

import sqlite3

import numpy as np

from faceapp.storage.vectors import decode_vectors, encode_vector, read_matrix


def test_read_matrix_in_chunks_equals_decoding_every_blob():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(11, 6)).astype(np.float32)
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE e (id INTEGER, v BLOB)")
    con.executemany("INSERT INTO e VALUES (?, ?)", [(i * 3, encode_vector(v)) for i, v in enumerate(x)])
    cur = con.execute("SELECT id, v FROM e ORDER BY id")
    ids, got = read_matrix(cur, 11, 6, chunk=4)
    assert ids.tolist() == [i * 3 for i in range(11)]
    np.testing.assert_array_equal(got, decode_vectors([encode_vector(v) for v in x]))
    ids, got = read_matrix(con.execute("SELECT id, v FROM e WHERE id > 100"), 0, 6)
    assert ids.shape == (0,) and got.shape == (0, 6)

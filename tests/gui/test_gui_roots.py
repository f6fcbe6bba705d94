"""Photo folders of a library: normalised, never listed twice, removable without losing photos."""

from faceapp.storage import roots


def test_add_list_remove(db, tmp_path):
    a = tmp_path / "a"
    a.mkdir()
    assert roots.add_root(db, a) == str(a.resolve())
    roots.add_root(db, str(a) + "/")
    roots.add_root(db, tmp_path / "b")
    assert roots.list_roots(db) == [str(a.resolve()), str((tmp_path / "b").resolve())]
    assert roots.remove_root(db, a) is True
    assert roots.remove_root(db, a) is False
    assert roots.list_roots(db) == [str((tmp_path / "b").resolve())]

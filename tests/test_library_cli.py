import json

import numpy as np

from faceapp import paths
from faceapp.cli import main


def test_scan_faces_info_json(tmp_path, capsys):
    db = tmp_path / "lib.db"
    photos = sorted(paths.SAMPLE_ALBUM.glob("*.jpg"))[:4]
    assert main(["scan", *map(str, photos), "--db", str(db), "-q", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["processed"] == 4 and stats["faces"] >= 4 and stats["provider"] == "CPUExecutionProvider"
    assert main(["faces", "--db", str(db), "--json"]) == 0
    faces = json.loads(capsys.readouterr().out)
    assert len(faces) == stats["faces"] and {f["path"] for f in faces} == {str(p) for p in photos}
    assert main(["info", "--db", str(db), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["photos"] == {"done": 4} and info["active_model"] == "sface-2021dec"


def test_scan_missing_path_is_a_clear_error(tmp_path, capsys):
    assert main(["scan", str(tmp_path / "nowhere"), "--db", str(tmp_path / "x.db")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_embed_writes_npz(tmp_path):
    photos = sorted(paths.SAMPLE_ALBUM.glob("George_Clooney*.jpg"))[:3]
    lst = tmp_path / "list.txt"
    lst.write_text("\n".join(map(str, photos + [tmp_path / "missing.jpg"])))
    out = tmp_path / "e.npz"
    assert main(["embed", "--list", str(lst), "--out", str(out), "--subject", "center"]) == 0
    z = np.load(out)
    assert z["emb"].shape == (4, 128) and z["found"].tolist() == [True, True, True, False]
    assert np.allclose(z["emb"][3], 0) and np.allclose(np.linalg.norm(z["emb"][:3], axis=1), 1, atol=1e-5)
    assert (z["emb"][:3] @ z["emb"][:3].T).min() > 0.3  # one person


def test_a_foreign_database_is_a_clear_error_and_stays_as_it_was(foreign_db, capsys):
    foreign = foreign_db
    before = foreign.read_bytes()
    for argv in (["people", "--db", str(foreign)], ["scan", str(paths.SAMPLE_ALBUM), "--db", str(foreign)]):
        assert main(argv) == 2
        assert "another program's database" in capsys.readouterr().err
    assert foreign.read_bytes() == before


def test_a_scanned_folder_becomes_a_library_folder_and_a_bare_scan_rescans_them(tmp_path, capsys):
    """A folder scanned from the command line is one of the library's folders (the GUI's Library view
    lists it and its Scan button rescans it); `faceapp scan` with no paths rescans those folders."""
    from faceapp.storage.db import open_library
    from faceapp.storage.roots import list_roots

    album = tmp_path / "album"
    album.mkdir()
    photos = sorted(paths.SAMPLE_ALBUM.glob("*.jpg"))[:4]
    for p in photos[:3]:
        (album / p.name).write_bytes(p.read_bytes())
    db = tmp_path / "lib.db"
    assert main(["scan", str(album), str(photos[3]), "--db", str(db), "-q", "--json"]) == 0
    capsys.readouterr()
    lib = open_library(db)
    assert list_roots(lib) == [str(album.resolve())]  # the folder, not the single file
    lib.close()
    (album / photos[3].name).write_bytes(photos[3].read_bytes())
    assert main(["scan", "--db", str(db), "-q", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["found"], stats["skipped"], stats["processed"]) == (4, 3, 1)

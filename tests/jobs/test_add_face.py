"""Adding a face the detector missed: confirmed as the person, listed, exported, kept by rescans and
re-clustering; deleting it is undoable; the CLI refuses what it can't do in words."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from faceapp import paths
from faceapp.cli import main
from faceapp.jobs.add_face import AddFaceError, add_face, delete_faces, find_photo
from faceapp.jobs.people import undo
from faceapp.jobs.scan import Scanner, ScanSettings
from faceapp.storage.db import open_library

# George_Clooney_0001 shrunk to 90 px and pasted on a big canvas: the face is ~30 px on a 2400 px
# photo, ~8 px at the scan's detector size, so the scan misses it.
SMALL_AT = (1500, 900)
FACE_BOX = (1526.0, 925.0, 30.0, 42.0)


def _album(root: Path) -> Path:
    root.mkdir()
    src = Image.open(paths.SAMPLE_ALBUM / "George_Clooney_0001.jpg").convert("RGB")
    canvas = Image.new("RGB", (2400, 1600), (120, 140, 160))
    canvas.paste(src.resize((90, 90)), SMALL_AT)
    canvas.save(root / "small_face.jpg", quality=92)
    for i in (2, 3):
        name = f"George_Clooney_000{i}.jpg"
        (root / name).write_bytes((paths.SAMPLE_ALBUM / name).read_bytes())
    return root


@pytest.fixture
def lib(tmp_path):
    album = _album(tmp_path / "album")
    db_path = tmp_path / "library.db"
    db = open_library(db_path)
    Scanner(db, ScanSettings(workers=1, embed_threads=1)).scan([album])
    return db, db_path, album


def _cli(db_path: Path, *argv: str) -> int:
    return main([*argv, "--db", str(db_path)])


def _faces(db_path: Path, capsys) -> list[dict]:
    capsys.readouterr()
    assert _cli(db_path, "faces", "--json") == 0
    return json.loads(capsys.readouterr().out)


def _decision(db, face_id: int):
    return db.execute("SELECT p.name, a.source FROM face_assignments a JOIN persons p ON p.id = a.person_id "
                      "WHERE a.face_id = ?", [face_id]).fetchone()


def _rescan(db, album: Path) -> dict:
    return Scanner(db, ScanSettings(workers=1, embed_threads=1)).scan([album]).as_dict()


def test_drawn_face_is_a_confirmed_face_listed_exported_and_kept(lib, capsys, tmp_path):
    db, db_path, album = lib
    photo = str(album / "small_face.jpg")
    assert not [f for f in _faces(db_path, capsys) if f["path"] == photo], "the scan should miss the small face"
    assert _cli(db_path, "add-face", photo, *map(str, FACE_BOX), "--person", "George", "--json") == 0
    out = json.loads(capsys.readouterr().out)
    fid = out["face"]
    assert out["landmarks"] == "detector"  # found again in the enlarged region
    assert _decision(db, fid) == ("George", "confirmed")
    listed = [f for f in _faces(db_path, capsys) if f["id"] == fid]
    assert listed and listed[0]["source"] == "user" and listed[0]["path"] == photo
    assert abs(listed[0]["x"] - FACE_BOX[0]) < 1 and abs(listed[0]["w"] - FACE_BOX[2]) < 1

    # re-clustering keeps it (and may bring George's other photos to him)
    assert _cli(db_path, "cluster") == 0
    assert _decision(db, fid) == ("George", "confirmed")

    # the XMP export writes the region with the name
    assert _cli(db_path, "export", "xmp", "--out", str(tmp_path / "xmp")) == 0
    sidecar = next((tmp_path / "xmp").rglob("small_face.xmp")).read_text()
    assert 'Name="George"' in sidecar or "<mwg-rs:Name>George" in sidecar

    # a rescan of the unchanged folder, of the touched file, and of an edited file keeps it
    _rescan(db, album)
    os.utime(photo, None)
    _rescan(db, album)
    assert _decision(db, fid) == ("George", "confirmed")
    Image.open(photo).save(photo, quality=80)  # new content (re-encoded), the same picture
    stats = _rescan(db, album)
    assert stats["replaced"] == 1
    row = db.execute("SELECT f.source, p.path, p.status FROM faces f JOIN photos p ON p.id = f.photo_id "
                     "WHERE f.id = ?", [fid]).fetchone()
    assert row == ("user", photo, "done")
    assert _decision(db, fid) == ("George", "confirmed")
    assert [f["id"] for f in _faces(db_path, capsys) if f["path"] == photo] == [fid]


def test_a_face_the_detector_finds_later_is_not_stored_twice(tmp_path):
    """Scanned with a big smallest-face, the sample face is missed; drawn by hand; an edit rescanned
    with the default settings finds it: the drawn face stands, no second face is stored on it."""
    album = tmp_path / "album"
    album.mkdir()
    photo = album / "george.jpg"
    photo.write_bytes((paths.SAMPLE_ALBUM / "George_Clooney_0001.jpg").read_bytes())
    db = open_library(tmp_path / "library.db")
    settings = ScanSettings(workers=1, embed_threads=1)
    settings.detector.min_face = 200
    Scanner(db, settings).scan([album])
    assert db.execute("SELECT count(*) FROM faces").fetchone()[0] == 0
    pid = find_photo(db, photo)["id"]
    added = add_face(db, pid, (72.7, 70.8, 82.9, 115.7), new_name="George")
    assert added.found
    Image.open(photo).save(photo, quality=80)
    _rescan(db, album)
    from faceapp.storage.photos import box_iou

    rows = db.execute("SELECT id, source, x, y, w, h FROM faces").fetchall()
    assert len(rows) >= 2, "the default settings find the face (and the small one behind it)"
    on_box = [r[:2] for r in rows if box_iou(r[2:], added.box) >= 0.3]
    assert on_box == [(added.face_id, "user")]
    assert _decision(db, added.face_id) == ("George", "confirmed")


def test_delete_and_undo_bring_the_face_back_with_its_decision(lib):
    db, _, album = lib
    pid = find_photo(db, album / "small_face.jpg")["id"]
    added = add_face(db, pid, FACE_BOX, new_name="George")
    vec = db.execute("SELECT vector FROM embeddings WHERE face_id = ?", [added.face_id]).fetchone()[0]
    assert delete_faces(db, [added.face_id]) == 1
    assert db.execute("SELECT 1 FROM faces WHERE id = ?", [added.face_id]).fetchone() is None
    assert undo(db)["action"] == "delete_face"
    assert _decision(db, added.face_id) == ("George", "confirmed")
    assert db.execute("SELECT source FROM faces WHERE id = ?", [added.face_id]).fetchone() == ("user",)
    assert db.execute("SELECT vector FROM embeddings WHERE face_id = ?", [added.face_id]).fetchone()[0] == vec
    # undo of the add itself takes the face and the new person away
    assert undo(db)["action"] == "add_face"
    assert db.execute("SELECT 1 FROM faces WHERE id = ?", [added.face_id]).fetchone() is None
    assert db.execute("SELECT 1 FROM persons WHERE id = ?", [added.person_id]).fetchone() is None


def test_add_face_refusals(lib, capsys):
    db, db_path, album = lib
    photo = str(album / "small_face.jpg")
    capsys.readouterr()
    assert _cli(db_path, "add-face", str(album / "nothere.jpg"), "1", "1", "40", "40", "--person", "A") == 2
    assert "not a photo in this library" in capsys.readouterr().err
    assert _cli(db_path, "add-face", photo, "3000", "10", "40", "40", "--person", "A") == 2
    assert "outside the photo" in capsys.readouterr().err
    assert _cli(db_path, "add-face", photo, "10", "10", "0", "40", "--person", "A") == 2
    assert "positive width" in capsys.readouterr().err
    assert _cli(db_path, "add-face", photo, "10", "10", "40", "40", "--person", "999") == 2
    assert "no person 999" in capsys.readouterr().err
    assert _cli(db_path, "add-face", photo, *map(str, FACE_BOX), "--person", "A") == 0
    assert _cli(db_path, "add-face", photo, *map(str, FACE_BOX), "--person", "B") == 2
    assert "already there" in capsys.readouterr().err
    other = str(album / "George_Clooney_0002.jpg")
    with pytest.raises(AddFaceError, match="already has a face in this photo"):
        add_face(db, find_photo(db, photo)["id"], (200, 200, 60, 60), db.execute(
            "SELECT id FROM persons WHERE name = 'A'").fetchone()[0])
    assert _cli(db_path, "delete-face", "424242") == 2
    assert "no face 424242" in capsys.readouterr().err
    assert other  # the library's other photos are untouched by the refusals
    assert db.execute("SELECT count(*) FROM faces WHERE source = 'user'").fetchone()[0] == 1


def test_add_face_from_a_second_process(lib):
    """The CLI in its own process writes the face; this connection sees it at once."""
    db, db_path, album = lib
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    r = subprocess.run([sys.executable, "-m", "faceapp", "add-face", str(album / "small_face.jpg"),
                        *map(str, FACE_BOX), "--person", "George", "--db", str(db_path), "--json"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    fid = json.loads(r.stdout)["face"]
    assert _decision(db, fid) == ("George", "confirmed")


def test_landmarks_from_the_box_where_the_detector_finds_nothing(lib):
    from faceapp.core.manual_face import box_landmarks

    db, _, album = lib
    pid = find_photo(db, album / "small_face.jpg")["id"]
    added = add_face(db, pid, (100, 100, 80, 80), new_name="Wall")  # plain background
    assert not added.found
    lm = np.array(json.loads(db.execute("SELECT landmarks FROM faces WHERE id = ?", [added.face_id]).fetchone()[0]))
    assert np.allclose(lm, box_landmarks(np.array([100, 100, 80, 80])), atol=0.01)


def test_box_is_in_upright_pixels_as_the_scan_stores_them(tmp_path):
    """A photo stored turned, with an EXIF orientation: the drawn box means the upright photo, the
    same coordinates the scan gives its faces (the face is found there, with the scan's landmarks)."""
    from faceapp.core.detect import DetectorSettings, create_detector
    from faceapp.core.images import decode

    album = tmp_path / "album"
    album.mkdir()
    upright = Image.new("RGB", (420, 250), (90, 90, 90))
    upright.paste(Image.open(paths.SAMPLE_ALBUM / "George_Clooney_0001.jpg").convert("RGB"), (170, 0))
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # shown upright after a 90° clockwise turn
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(album / "turned.jpg", quality=95, exif=exif)
    det = create_detector(DetectorSettings(), paths.YUNET).detect(decode(str(album / "turned.jpg")).rgb)[0]
    db = open_library(tmp_path / "library.db")
    settings = ScanSettings(workers=1, embed_threads=1)
    settings.detector.min_face = 200  # the scan keeps no face: the user draws it
    Scanner(db, settings).scan([album])
    photo = find_photo(db, album / "turned.jpg")
    assert (photo["width"], photo["height"]) == (420, 250)
    added = add_face(db, photo["id"], tuple(det.box), new_name="George")
    assert added.found
    lm = np.array(json.loads(db.execute("SELECT landmarks FROM faces WHERE id = ?", [added.face_id]).fetchone()[0]))
    assert np.abs(lm - det.landmarks).max() < 4


def test_redo_draws_the_face_again_and_deletes_it_again(lib):
    """Redo of an add puts the drawn face back (row, embedding, decision, its new person); redo of a
    delete takes it away again. Redo restored only decisions, so the face stayed gone."""
    from faceapp.jobs.people import redo

    db, _, album = lib
    pid = find_photo(db, album / "small_face.jpg")["id"]
    added = add_face(db, pid, FACE_BOX, new_name="George")
    vec = db.execute("SELECT vector FROM embeddings WHERE face_id = ?", [added.face_id]).fetchone()[0]
    assert undo(db)["action"] == "add_face"
    assert redo(db)["action"] == "add_face"
    assert _decision(db, added.face_id) == ("George", "confirmed")
    assert db.execute("SELECT source FROM faces WHERE id = ?", [added.face_id]).fetchone() == ("user",)
    assert db.execute("SELECT vector FROM embeddings WHERE face_id = ?", [added.face_id]).fetchone()[0] == vec
    assert delete_faces(db, [added.face_id]) == 1
    assert undo(db)["action"] == "delete_face"
    assert redo(db)["action"] == "delete_face"
    assert db.execute("SELECT 1 FROM faces WHERE id = ?", [added.face_id]).fetchone() is None
    assert undo(db)["action"] == "delete_face"  # and back once more
    assert _decision(db, added.face_id) == ("George", "confirmed")


def test_cli_undo_and_redo(lib, capsys):
    db, db_path, album = lib
    assert _cli(db_path, "add-face", str(album / "small_face.jpg"), *map(str, map(int, FACE_BOX)), "--person", "Ann") == 0
    assert _cli(db_path, "redo") == 1  # nothing undone yet
    assert "nothing to redo" in capsys.readouterr().out
    assert _cli(db_path, "undo") == 0
    assert not [f for f in _faces(db_path, capsys) if f["source"] == "user"]
    assert _cli(db_path, "redo") == 0
    assert "redid add_face" in capsys.readouterr().out
    drawn = [f["id"] for f in _faces(db_path, capsys) if f["source"] == "user"]
    assert len(drawn) == 1 and _decision(db, drawn[0]) == ("Ann", "confirmed")

"""The scan end to end on the sample album, incremental rescans, and a corpus of broken files."""

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from faceapp import paths
from faceapp.jobs.scan import Scanner
from faceapp.progress import Progress
from faceapp.storage.db import open_library
from faceapp.storage.faces import embeddings, face_crops
from faceapp.storage.models import active_model


def test_sample_album_library(scanned_sample):
    db = open_library(scanned_sample)
    photos = db.execute("SELECT status, count(*) FROM photos GROUP BY status").fetchall()
    assert photos == [("done", 50)]
    n_faces = db.execute("SELECT count(*) FROM faces").fetchone()[0]
    assert n_faces >= 50
    # every photo's face count is what the faces table holds
    bad = db.execute(
        "SELECT count(*) FROM photos p WHERE face_count != (SELECT count(*) FROM faces f WHERE f.photo_id = p.id)"
    ).fetchone()[0]
    assert bad == 0
    model = active_model(db)
    assert model["model_id"] == "sface-2021dec"
    ids, vecs = embeddings(db, model["id"])
    assert len(ids) == n_faces and vecs.shape == (n_faces, 128)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert face_crops(db, ids[:3].tolist()).shape == (3, 112, 112, 3)
    # boxes are in photo pixels (LFW photos are 250×250 with the face in the middle)
    x, y, w, h = db.execute("SELECT x, y, w, h FROM faces ORDER BY w * h DESC LIMIT 1").fetchone()
    assert 40 < x + w / 2 < 210 and 40 < y + h / 2 < 210


def _copy_album(dst: Path, n: int) -> list[Path]:
    dst.mkdir(parents=True, exist_ok=True)
    out = []
    for p in sorted(paths.SAMPLE_ALBUM.glob("*.jpg"))[:n]:
        shutil.copy2(p, dst / p.name)
        out.append(dst / p.name)
    return out


def test_incremental_rescan_moves_deletes_changes(tmp_path):
    album = tmp_path / "album"
    files = _copy_album(album, 6)
    db = open_library(tmp_path / "lib.db")
    scanner = Scanner(db)
    first = scanner.scan([album])
    assert (first.processed, first.skipped) == (6, 0)
    face_ids = {r[0]: r[1] for r in db.execute("SELECT p.path, group_concat(f.id) FROM photos p JOIN faces f ON f.photo_id = p.id GROUP BY p.id")}

    again = scanner.scan([album])
    assert (again.processed, again.skipped) == (0, 6)

    (album / "sub").mkdir()
    moved_to = album / "sub" / "renamed.jpg"
    os.rename(files[0], moved_to)
    files[1].unlink()
    files[2].write_bytes(files[3].read_bytes())  # content changed
    os.utime(files[2], (1, 1))
    third = scanner.scan([album])
    assert third.moved == 1 and third.missing == 1 and third.processed == 1 and third.replaced == 1
    row = db.execute("SELECT p.path, group_concat(f.id) FROM photos p JOIN faces f ON f.photo_id = p.id WHERE p.path = ?",
                     [str(moved_to)]).fetchone()
    assert row[1] == face_ids[str(files[0])]  # the same faces, so decisions on them survive
    assert db.execute("SELECT status FROM photos WHERE path = ?", [str(files[1])]).fetchone()[0] == "missing"

    shutil.copy2(sorted(paths.SAMPLE_ALBUM.glob("*.jpg"))[1], files[1])  # the deleted one comes back
    fourth = scanner.scan([album])
    assert fourth.processed == 0 and fourth.skipped == 6  # recognised: same faces, nothing redone
    assert db.execute("SELECT status FROM photos WHERE path = ?", [str(files[1])]).fetchone()[0] == "done"
    # files[2]'s old content, set aside with its faces until it turns up again, is the one missing photo
    assert db.execute("SELECT status, count(*) FROM photos GROUP BY status").fetchall() == [("done", 6), ("missing", 1)]

    os.utime(files[3], (5, 5))  # touched, content unchanged: faces (and decisions on them) are kept
    ids_before = db.execute("SELECT f.id FROM faces f JOIN photos p ON p.id = f.photo_id WHERE p.path = ?", [str(files[3])]).fetchall()
    fifth = scanner.scan([album])
    assert fifth.processed == 0
    assert db.execute("SELECT f.id FROM faces f JOIN photos p ON p.id = f.photo_id WHERE p.path = ?", [str(files[3])]).fetchall() == ids_before


def _broken_corpus(folder: Path) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    good = sorted(paths.SAMPLE_ALBUM.glob("*.jpg"))[0].read_bytes()
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.png").write_bytes(b"shopping list: milk, eggs\n")
    (folder / "half.jpg").write_bytes(good[: len(good) // 3])
    (folder / "garbage.jpg").write_bytes(b"\xff\xd8\xff" + os.urandom(3000))
    (folder / "good.jpg").write_bytes(good)
    unreadable = folder / "locked.jpg"
    unreadable.write_bytes(good)
    return {"empty.jpg": "empty-file", "notes.png": "not-an-image", "half.jpg": "truncated"}


def test_broken_files_are_recorded_and_the_scan_goes_on(tmp_path):
    expect = _broken_corpus(tmp_path / "broken")
    db = open_library(tmp_path / "lib.db")
    stats = Scanner(db).scan([tmp_path / "broken"])
    assert stats.processed == 6
    rows = {Path(r[0]).name: (r[1], r[2]) for r in db.execute("SELECT path, status, error FROM photos")}
    for name, reason in expect.items():
        assert rows[name] == ("error", reason)
    assert rows["garbage.jpg"][0] == "error" and rows["garbage.jpg"][1]
    assert rows["good.jpg"] == ("done", None)
    assert sum(stats.errors.values()) == 4


def test_cancel_keeps_finished_work_and_resume_finishes(tmp_path):
    album = tmp_path / "album"
    _copy_album(album, 12)
    db = open_library(tmp_path / "lib.db")
    calls = {"n": 0}

    def stop_after_some() -> bool:
        calls["n"] += 1
        return calls["n"] >= 5

    seen: list[Progress] = []
    first = Scanner(db).scan([album], progress=seen.append, stop=stop_after_some)
    assert first.cancelled and 5 <= first.processed < 12
    done = [p.done for p in seen]
    assert {p.stage for p in seen} == {"scanning"} and done == sorted(done) and seen[-1].total == 12
    done_before = dict(db.execute("SELECT path, scanned_at FROM photos WHERE status = 'done'").fetchall())
    seen = []
    second = Scanner(db).scan([album], progress=seen.append)
    assert second.skipped == len(done_before) and second.processed == 12 - len(done_before)
    done = [p.done for p in seen]  # the rest of the photos, to the end; the faces found said in words
    assert done == sorted(done) and done[-1] == seen[-1].total == 12 - len(done_before)
    assert seen[-1].text == f"{second.faces} faces · 0 failed"
    after = dict(db.execute("SELECT path, scanned_at FROM photos").fetchall())
    assert all(after[p] == t for p, t in done_before.items())


@pytest.mark.parametrize("bad_root", ["does-not-exist"])
def test_missing_root_scans_nothing(tmp_path, bad_root):
    stats = Scanner(open_library(":memory:")).scan([tmp_path / bad_root])
    assert stats.found == 0


def test_new_faces_of_a_known_person_join_them_on_rescan(tmp_path):
    from faceapp.jobs.people import list_people, name_person, person_faces, recluster

    album = tmp_path / "album"
    album.mkdir()
    clooney = sorted(paths.SAMPLE_ALBUM.glob("George_Clooney_*.jpg"))
    for p in clooney[:5] + sorted(paths.SAMPLE_ALBUM.glob("Martha_Burk_*.jpg")):
        shutil.copy2(p, album / p.name)
    db = open_library(tmp_path / "lib.db")
    Scanner(db).scan([album])
    recluster(db)
    biggest = max(list_people(db), key=lambda p: p.faces)
    name_person(db, biggest.id, "George")
    before = {f.id for f in person_faces(db, biggest.id)}
    for p in clooney[5:]:
        shutil.copy2(p, album / p.name)
    stats = Scanner(db).scan([album])
    assert stats.processed == len(clooney) - 5 and stats.assigned >= 1
    after = person_faces(db, biggest.id)
    new = [f for f in after if f.id not in before]
    assert len(new) == stats.assigned
    assert all("George_Clooney" in f.path for f in after)


def test_file_names_that_are_not_utf8_are_recorded_not_fatal(tmp_path):
    album = tmp_path / "album"
    album.mkdir()
    src = sorted(paths.SAMPLE_ALBUM.glob("*.jpg"))[0]
    shutil.copy2(src, os.fsdecode(bytes(album) + b"/caf\xe9.jpg"))  # Latin-1 name on a UTF-8 system
    shutil.copy2(src, album / "ok.jpg")
    db = open_library(tmp_path / "lib.db")
    for _ in range(2):  # and again: still an error, never "missing"
        stats = Scanner(db).scan([album])
        assert stats.errors["bad-file-name"] == 1
        rows = dict(db.execute("SELECT error, status FROM photos").fetchall())
        assert rows == {"bad-file-name": "error", None: "done"}


def test_thumbnail_trash_and_ignored_folders_are_not_photos(tmp_path):
    from faceapp.jobs.scan_plan import iter_image_files

    keep = ["trip/a.jpg", "Photos Library.photoslibrary/originals/0/b.jpeg", "trip/#recycled/c.jpg"]
    skip = ["trip/@eaDir/a.jpg/SYNOPHOTO_THUMB_XL.jpg", "#recycle/d.jpg", "$RECYCLE.BIN/e.png",
            "Photos Library.photoslibrary/resources/derivatives/0/b_1_105_c.jpeg", "private/f.jpg",
            "private/deeper/g.jpg", ".hidden/h.jpg"]
    for rel in keep + skip:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"\xff\xd8")
    (tmp_path / "private" / ".faceappignore").touch()
    found = {str(Path(f).relative_to(tmp_path)) for f in iter_image_files([tmp_path])}
    assert found == set(keep)
    (tmp_path / ".faceappignore").touch()  # the root itself can be ignored too
    assert list(iter_image_files([tmp_path])) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_pipe_named_like_a_photo_is_recorded_not_read(tmp_path):
    import signal

    album = tmp_path / "album"
    album.mkdir()
    shutil.copy(sorted(paths.SAMPLE_ALBUM.glob("*.jpg"))[0], album / "good.jpg")
    os.mkfifo(album / "pipe.jpg")

    def boom(*_):
        raise TimeoutError("the scan blocked reading a pipe")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(60)
    try:
        db = open_library(tmp_path / "lib.db")
        stats = Scanner(db).scan([album])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    rows = {Path(r[0]).name: (r[1], r[2]) for r in db.execute("SELECT path, status, error FROM photos")}
    assert rows["pipe.jpg"] == ("error", "not-a-file") and rows["good.jpg"] == ("done", None)
    assert stats.errors["not-a-file"] == 1

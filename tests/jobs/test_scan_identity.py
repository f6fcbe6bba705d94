"""Decisions follow a photo's content, not its file name: swapped names, a new photo saved under an
old photo's name, and the same content coming back under another name."""

import os
import shutil
from pathlib import Path

import pytest

from faceapp import paths
from faceapp.jobs.people import confirm_faces
from faceapp.jobs.scan import Scanner
from faceapp.storage.db import open_library
from faceapp.storage.people import create_person


def _photo(name: str) -> Path:
    return sorted(paths.SAMPLE_ALBUM.glob(f"{name}_*.jpg"))[0]


def _same_size_copies(album: Path, names: list[str]) -> list[Path]:
    """Copies padded after the JPEG end to one size, all with one mtime: only the content tells them apart."""
    album.mkdir(parents=True, exist_ok=True)
    blobs = [_photo(n).read_bytes() for n in names]
    size = max(len(b) for b in blobs) + 16
    out = []
    for n, b in zip(names, blobs):
        p = album / f"{n}.jpg"
        p.write_bytes(b + b"\0" * (size - len(b)))
        os.utime(p, (1_600_000_000, 1_600_000_000))
        out.append(p)
    return out


def _confirm_main_face(db, path: Path, name: str) -> int:
    faces = db.execute("SELECT f.id FROM faces f JOIN photos p ON p.id = f.photo_id WHERE p.path = ? ORDER BY f.w * f.h DESC",
                       [str(path)]).fetchall()
    assert faces
    person = create_person(db, name)
    confirm_faces(db, [faces[0][0]], person)
    return faces[0][0]


def _confirmed(db) -> dict[str, tuple[str, str]]:
    """face's photo path -> (person name, photo hash) for every confirmed face."""
    rows = db.execute(
        "SELECT p.path, pe.name, p.hash FROM face_assignments a JOIN faces f ON f.id = a.face_id "
        "JOIN photos p ON p.id = f.photo_id JOIN persons pe ON pe.id = a.person_id WHERE a.source = 'confirmed'"
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def _hash_of(db, path: Path) -> str:
    return db.execute("SELECT hash FROM photos WHERE path = ?", [str(path)]).fetchone()[0]


def test_swapped_file_names_keep_each_confirmation_on_its_face(tmp_path):
    album = tmp_path / "album"
    george, martha = _same_size_copies(album, ["George_Clooney", "Martha_Burk"])
    db = open_library(tmp_path / "lib.db")
    Scanner(db).scan([album])
    _confirm_main_face(db, george, "George")
    _confirm_main_face(db, martha, "Martha")
    g_hash, m_hash = _hash_of(db, george), _hash_of(db, martha)
    faces_before = {r[0] for r in db.execute("SELECT id FROM faces")}

    tmp = album / "swap.tmp"
    os.rename(george, tmp)
    os.rename(martha, george)
    os.rename(tmp, martha)  # size and mtime of each name are what they were: only the content moved

    stats = Scanner(db).scan([album])
    assert stats.processed == 0 and stats.moved == 2
    assert _hash_of(db, george) == m_hash and _hash_of(db, martha) == g_hash
    assert _confirmed(db) == {str(martha): ("George", g_hash), str(george): ("Martha", m_hash)}
    # the very same face rows: nothing re-detected, nothing duplicated
    assert {r[0] for r in db.execute("SELECT id FROM faces")} == faces_before
    assert db.execute("SELECT count(*) FROM photos").fetchone()[0] == 2


@pytest.mark.parametrize("how", ["saved-over", "rewritten-in-place"])
def test_a_new_photo_under_an_old_name_is_a_new_photo(tmp_path, how):
    album = tmp_path / "album"
    album.mkdir()
    george, martha = _same_size_copies(tmp_path / "staging", ["George_Clooney", "Martha_Burk"])
    george = Path(shutil.copy2(george, album / "IMG_0001.jpg"))
    db = open_library(tmp_path / "lib.db")
    Scanner(db).scan([album])
    g_face = _confirm_main_face(db, george, "George")
    g_hash = _hash_of(db, george)
    st = george.stat()
    if how == "saved-over":  # another camera's IMG_0001.jpg copied over it
        george.write_bytes(_photo("Martha_Burk").read_bytes())
    else:  # rewritten in place: same name, same inode, same size, old mtime
        with open(george, "r+b") as fh:
            fh.write(martha.read_bytes())
        os.utime(george, ns=(st.st_atime_ns, st.st_mtime_ns))

    stats = Scanner(db).scan([album])
    assert stats.processed == 1
    assert _hash_of(db, george) != g_hash
    # the stranger's face is not "George, confirmed"; George's face keeps its confirmation, off this path
    assert str(george) not in _confirmed(db)
    new_faces = db.execute("SELECT f.id FROM faces f JOIN photos p ON p.id = f.photo_id WHERE p.path = ?", [str(george)]).fetchall()
    assert new_faces and g_face not in {f[0] for f in new_faces}
    assert not db.execute(f"SELECT 1 FROM face_assignments WHERE face_id IN ({','.join(str(f[0]) for f in new_faces)})").fetchone()
    old = db.execute("SELECT p.status, p.hash FROM faces f JOIN photos p ON p.id = f.photo_id WHERE f.id = ?", [g_face]).fetchone()
    assert old == ("missing", g_hash)

    # George's photo turns up again under another name: his face and its confirmation follow it
    back = Path(shutil.copy2(tmp_path / "staging" / "George_Clooney.jpg", album / "george_again.jpg"))
    assert Scanner(db).scan([album]).moved == 1
    assert _confirmed(db) == {str(back): ("George", g_hash)}
    assert db.execute("SELECT status FROM photos p JOIN faces f ON f.photo_id = p.id WHERE f.id = ?", [g_face]).fetchone() == ("done",)


def test_a_copy_under_a_new_name_is_scanned_and_the_original_keeps_its_faces(tmp_path):
    album = tmp_path / "album"
    (george,) = _same_size_copies(album, ["George_Clooney"])
    db = open_library(tmp_path / "lib.db")
    Scanner(db).scan([album])
    _confirm_main_face(db, george, "George")
    shutil.copy2(george, album / "copy.jpg")
    george.touch()  # the original's identity changed too, its content did not
    stats = Scanner(db).scan([album])
    assert stats.processed == 1 and stats.moved == 0
    assert _confirmed(db) == {str(george): ("George", _hash_of(db, george))}
    n = db.execute("SELECT face_count FROM photos WHERE path = ?", [str(george)]).fetchone()[0]
    assert db.execute("SELECT face_count FROM photos WHERE path = ?", [str(album / "copy.jpg")]).fetchone()[0] == n
    assert db.execute("SELECT count(*) FROM faces").fetchone()[0] == 2 * n


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_photo_that_cannot_be_read_for_a_while_keeps_its_decisions(tmp_path):
    album = tmp_path / "album"
    (george,) = _same_size_copies(album, ["George_Clooney"])
    db = open_library(tmp_path / "lib.db")
    Scanner(db).scan([album])
    _confirm_main_face(db, george, "George")
    g_hash = _hash_of(db, george)
    keep = tmp_path / "kept.jpg"
    os.rename(george, keep)
    os.mkfifo(george)  # something unreadable under its name (as a file on a NAS that is offline)
    assert Scanner(db).scan([album]).errors == {"not-a-file": 1}
    os.unlink(george)
    os.rename(keep, george)
    Scanner(db).scan([album])
    assert _confirmed(db) == {str(george): ("George", g_hash)}


@pytest.mark.parametrize("edit", ["tag-written", "re-saved"])
def test_an_edited_photo_keeps_its_decisions(tmp_path, edit):
    """Another tool writes a tag into the JPEG, or the photo is re-saved: new content, same faces.
    Their decisions follow them (a stranger's photo under the name does not get them: test above)."""
    from PIL import Image

    album = tmp_path / "album"
    album.mkdir()
    photo = Path(shutil.copy2(_photo("Martha_Burk"), album / "IMG_0002.jpg"))
    db = open_library(tmp_path / "lib.db")
    Scanner(db).scan([album])
    _confirm_main_face(db, photo, "Martha")
    old_hash = _hash_of(db, photo)
    if edit == "tag-written":
        with Image.open(photo) as im:
            exif = im.getexif()
            exif[0x010E] = "Martha at the office"  # ImageDescription, as a photo manager writes it
            im.save(photo, quality="keep", exif=exif)
    else:
        with Image.open(photo) as im:
            im.convert("RGB").save(photo, quality=92)
    stats = Scanner(db).scan([album])
    assert _hash_of(db, photo) != old_hash and stats.processed == 1
    assert _confirmed(db)[str(photo)][0] == "Martha"
    assert stats.carried == 1
    # nothing left behind: the old version's row went with its decisions
    assert db.execute("SELECT count(*) FROM photos").fetchone()[0] == 1

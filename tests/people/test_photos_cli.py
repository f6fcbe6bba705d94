"""`faceapp photos --with/--without/--by month` and `faceapp export albums --with` end to end: on a
hand-built library with real files, and on the scanned sample album."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from faceapp.cli import main
from faceapp.storage.backup import copy_library
from faceapp.storage.db import open_library
from faceapp.storage.faces import insert_face
from faceapp.storage.people import assign, create_person
from faceapp.storage.photos import save_photo

CROP = np.zeros((112, 112, 3), np.uint8)


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def family(tmp_path, write_photo):
    """A library file: Ann & Ben together in 3 photos (one with Cy), Ann alone in one; real JPEGs."""
    path = tmp_path / "lib.db"
    db = open_library(path)
    ann, ben, cy = (create_person(db, n) for n in ("Ann", "Ben", "Cy"))
    plan = [("x/one.jpg", "2021-05-01T10:00:00", [ann, ben]), ("y/one.jpg", "2023-05-01T10:00:00", [ann, ben]),
            ("x/two.jpg", "2022-05-01T10:00:00", [ann, ben, cy]), ("x/ann.jpg", "2022-05-02T10:00:00", [ann])]
    for k, (rel, taken, people) in enumerate(plan):
        real = tmp_path / "photos" / rel
        write_photo(real, k)
        pid = save_photo(db, str(real), real.stat().st_size, real.stat().st_mtime, f"h{k}", width=640, height=480,
                         taken_at=taken)
        for j, person in enumerate(people):
            fid = insert_face(db, pid, (10 + 120 * j, 20, 100, 120), np.zeros((5, 2)), 0.9, 0.8, CROP)
            assign(db, fid, person, "confirmed")
    db.conn.close()
    return path, tmp_path / "photos"


def test_photos_with_names_and_ids_text_and_json(capsys, family):
    lib, root = family
    code, out, _ = run(capsys, "photos", "--db", lib, "--with", "ann", "2")  # a name (any case) and an id
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[-1] == "3 photos"
    assert lines[0].startswith("2023-05-01 10:00") and str(root / "y/one.jpg") in lines[0] and lines[0].endswith("Ann, Ben")
    assert lines[1].endswith("Ann, Ben, Cy") and str(root / "x/two.jpg") in lines[1]
    code, out, _ = run(capsys, "photos", "--db", lib, "--with", "Ann", "Ben", "--without", "Cy", "--json")
    rows = json.loads(out)
    assert [Path(r["path"]).relative_to(root).as_posix() for r in rows] == ["y/one.jpg", "x/one.jpg"]
    assert rows[0]["date"] == "2023-05-01T10:00:00" and rows[0]["dated_by"] == "exif"
    assert [p["name"] for p in rows[0]["people"]] == ["Ann", "Ben"]


def test_photos_refuses_an_unknown_person_in_one_line(capsys, family):
    code, out, err = run(capsys, "photos", "--db", family[0], "--with", "Ann", "Zed")
    assert code == 2 and "no person 'Zed'" in err and out == ""


def test_photos_by_month(capsys, family):
    lib, _ = family
    code, out, _ = run(capsys, "photos", "--db", lib, "--by", "month")
    assert code == 0
    assert out.strip().splitlines() == [
        "2023-05  1 photo   Ann 1, Ben 1",
        "2022-05  2 photos  Ann 2, Ben 1, Cy 1",
        "2021-05  1 photo   Ann 1, Ben 1",
        "4 photos in 3 months",
    ]
    code, out, _ = run(capsys, "photos", "--db", lib, "--by", "month", "--with", "Ann", "Ben", "--without", "Cy")
    assert out.strip().splitlines() == ["2023-05  1 photo  Ann 1, Ben 1", "2021-05  1 photo  Ann 1, Ben 1",
                                        "2 photos in 2 months"]
    code, out, _ = run(capsys, "photos", "--db", lib, "--by", "month", "--person", "Cy", "--json")
    assert json.loads(out) == [{"month": "2022-05", "photos": 1, "people": [
        {"id": 1, "name": "Ann", "photos": 1}, {"id": 2, "name": "Ben", "photos": 1}, {"id": 3, "name": "Cy", "photos": 1}]}]


def test_export_album_of_people_together(capsys, family, tmp_path):
    lib, root = family
    out = tmp_path / "albums"
    (out / "Ann & Ben").mkdir(parents=True)  # the user's own folder of that name: never used
    (out / "Ann & Ben" / "mine.txt").write_text("mine")
    code, text, _ = run(capsys, "export", "albums", "--db", lib, "--with", "Ann", "Ben", "--out", out)
    assert code == 0
    res = json.loads(text)
    assert res["written"] == 3 and res["people"] == 1 and res["errors"] == []
    album = out / "Ann & Ben (2)"
    files = sorted(p.name for p in album.iterdir() if not p.name.startswith("."))
    assert files == ["one (2).jpg", "one.jpg", "two.jpg"]  # two photos named one.jpg: both kept
    assert (out / "Ann & Ben" / "mine.txt").read_text() == "mine"
    assert (album / ".faceappignore").exists()  # a scan of the albums' folder skips it
    for f in album.iterdir():
        if not f.name.startswith("."):
            assert any(f.read_bytes() == p.read_bytes() for p in root.rglob("*.jpg"))
    # again: nothing new, the same folder (resumable: the manifest says it is faceapp's)
    code, text, _ = run(capsys, "export", "albums", "--db", lib, "--with", "ann", "ben", "--out", out)
    again = json.loads(text)
    assert again["written"] == 0 and again["skipped"] == 3 and sorted(p.name for p in out.iterdir()) == [
        "Ann & Ben", "Ann & Ben (2)"]
    # without Cy: another album, named so
    code, text, _ = run(capsys, "export", "albums", "--db", lib, "--with", "Ann", "Ben", "--without", "Cy",
                        "--out", out, "--mode", "symlink")
    assert json.loads(text)["written"] == 2
    links = [p for p in (out / "Ann & Ben without Cy").iterdir() if not p.name.startswith(".")]
    assert len(links) == 2 and all(p.is_symlink() for p in links)


def test_export_of_people_never_together_makes_no_folder(capsys, family, tmp_path):
    code, out, err = run(capsys, "export", "albums", "--db", family[0], "--with", "Cy", "--without", "Ben",
                         "--out", tmp_path / "a")
    assert code == 0 and json.loads(out)["people"] == 0 and "no album" in err
    assert list((tmp_path / "a").iterdir()) == []


def test_export_with_is_for_albums_only(capsys, family, tmp_path):
    code, _, err = run(capsys, "export", "csv", "--db", family[0], "--with", "Ann", "--out", tmp_path / "t.csv")
    assert code == 2 and "--with" in err
    code, _, err = run(capsys, "export", "albums", "--db", family[0], "--with", "Ann", "--people", "Ben",
                       "--out", tmp_path / "a")
    assert code == 2 and "--with" in err
    code, _, err = run(capsys, "export", "albums", "--db", family[0], "--without", "Cy", "--out", tmp_path / "a")
    assert code == 2 and "--without goes with --with" in err and not (tmp_path / "a").exists()


def test_on_the_scanned_sample_album(capsys, scanned_sample, tmp_path):
    lib = copy_library(scanned_sample, tmp_path / "lib.db")
    assert run(capsys, "cluster", "--db", lib, "--json")[0] == 0
    faces = json.loads(run(capsys, "faces", "--db", lib, "--json")[1])
    people = json.loads(run(capsys, "people", "--db", lib, "--json")[1])
    db = open_library(lib)

    def who() -> dict[str, set[int]]:
        in_photo: dict[str, set[int]] = {}
        for f in faces:
            r = db.execute("SELECT person_id FROM face_assignments WHERE face_id = ?", [f["id"]]).fetchone()
            if r:
                in_photo.setdefault(f["path"], set()).add(r[0])
        return in_photo

    # the sample's group photos have one clustered face each: the user says who another face is
    by_photo: dict[str, list[int]] = {}
    for f in faces:
        by_photo.setdefault(f["path"], []).append(f["id"])
    group = next(p for p, fs in sorted(by_photo.items()) if len(fs) > 1 and p in who())
    a = sorted(who()[group])[0]
    b = next(p["id"] for p in people if p["id"] not in who()[group])
    other = next(f for f in by_photo[group] if f not in {x for x in by_photo[group]
                                                        if db.execute("SELECT 1 FROM face_assignments WHERE face_id = ? "
                                                                      "AND person_id = ?", [x, a]).fetchone()})
    assert run(capsys, "confirm", "--db", lib, other, "--person", b)[0] == 0
    people = json.loads(run(capsys, "people", "--db", lib, "--json")[1])
    in_photo = who()
    expected = {p for p, ps in in_photo.items() if {a, b} <= ps}
    assert group in expected
    rows = json.loads(run(capsys, "photos", "--db", lib, "--with", a, b, "--json")[1])
    assert {r["path"] for r in rows} == expected
    assert all({a, b} <= {p["id"] for p in r["people"]} for r in rows)
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates, reverse=True)
    months = json.loads(run(capsys, "photos", "--db", lib, "--by", "month", "--json")[1])
    done = db.execute("SELECT count(*) FROM photos WHERE status = 'done'").fetchone()[0]
    assert sum(m["photos"] for m in months) == done
    per_person = {p["id"]: p["photos"] for p in people}
    for pid, n in per_person.items():  # each person's photos, counted month by month
        assert sum(q["photos"] for m in months for q in m["people"] if q["id"] == pid) == n

"""Photos by people: together / apart, newest first by EXIF date (file time when none), a timeline
by month; storage and jobs level on a small hand-built library."""

from __future__ import annotations

import time
from datetime import datetime

import numpy as np
import pytest

from faceapp.jobs import photos
from faceapp.storage.faces import insert_face
from faceapp.storage.people import add_not_face, assign, create_person
from faceapp.storage.photos import save_photo

CROP = np.zeros((112, 112, 3), np.uint8)


def _mtime(iso: str) -> float:
    return time.mktime(datetime.fromisoformat(iso).timetuple())  # local time, as the query shows it


class Family:
    """Ann, Ben, Cy (and a hidden stranger) in a few photos with known dates."""

    def __init__(self, db) -> None:
        self.db = db
        self.ann, self.ben, self.cy = (create_person(db, n) for n in ("Ann", "Ben", "Cy"))
        self.stranger = create_person(db, None, hidden=True)
        self.anon = create_person(db, None)  # an unnamed person: "Person N"
        self.ids: dict[str, int] = {}
        self.faces: dict[str, list[int]] = {}
        P = self
        self.photo("ab_2021.jpg", "2021-06-01T10:00:00", [P.ann, P.ben])
        self.photo("ab_2023.jpg", "2023-02-10T09:00:00", [P.ben, P.ann, P.anon])
        self.photo("abc_2022.jpg", "2022-07-04T12:00:00", [P.ann, P.ben, P.cy])
        self.photo("a_2022.jpg", "2022-07-20T12:00:00", [P.ann, None])  # one unsorted face
        self.photo("ab_file.jpg", None, [P.ann, P.ben], mtime=_mtime("2022-12-24T18:00:00"))  # no EXIF date
        self.photo("ab_notface.jpg", "2024-01-01T00:00:00", [P.ann, P.ben], not_face=1)  # "Ben" is not a face
        self.photo("ab_stranger.jpg", "2020-03-03T03:03:03", [P.ann, P.ben, P.stranger])
        self.photo("ab_missing.jpg", "2025-01-01T00:00:00", [P.ann, P.ben], status="missing")
        self.photo("empty.jpg", "2022-07-09T08:00:00", [])

    def photo(self, name, taken, people, mtime=1.0, not_face=None, status=None) -> None:
        db = self.db
        pid = save_photo(db, f"/lib/{name}", 100, mtime, name, width=640, height=480, taken_at=taken)
        self.faces[name] = []
        for j, person in enumerate(people):
            fid = insert_face(db, pid, (10 + 120 * j, 20, 100, 120), np.zeros((5, 2)), 0.9, 0.8, CROP)
            self.faces[name].append(fid)
            if person is not None:
                assign(db, fid, person, "cluster", 0.9)
            if not_face == j:
                add_not_face(db, fid)
        if status:
            db.execute("UPDATE photos SET status = ? WHERE id = ?", [status, pid])
        self.ids[name] = pid


@pytest.fixture
def fam(db):
    return Family(db)


def _names(hits) -> list[str]:
    return [h.path.rsplit("/", 1)[1] for h in hits]


def test_together_newest_first_file_time_when_no_exif_date(db, fam):
    hits = photos.photos_together(db, [fam.ann, fam.ben])
    # not: a photo where Ben's face is "not a face", a missing photo, a photo of Ann alone
    assert _names(hits) == ["ab_2023.jpg", "ab_file.jpg", "abc_2022.jpg", "ab_2021.jpg", "ab_stranger.jpg"]
    by = {h.path.rsplit("/", 1)[1]: h for h in hits}
    assert by["ab_file.jpg"].date == "2022-12-24T18:00:00" and by["ab_file.jpg"].dated_by == "file"
    assert by["ab_2023.jpg"].date == "2023-02-10T09:00:00" and by["ab_2023.jpg"].dated_by == "exif"
    # the people in each photo: every visible person, by name; unnamed as "Person N"; hidden left out
    assert [n for _, n in by["ab_2023.jpg"].people] == ["Ann", "Ben", f"Person {fam.anon}"]
    assert [n for _, n in by["abc_2022.jpg"].people] == ["Ann", "Ben", "Cy"]
    assert [n for _, n in by["ab_stranger.jpg"].people] == ["Ann", "Ben"]


def test_without_leaves_out_photos_of_that_person(db, fam):
    hits = photos.photos_together(db, [fam.ann, fam.ben], without=[fam.cy, fam.anon])
    assert _names(hits) == ["ab_file.jpg", "ab_2021.jpg", "ab_stranger.jpg"]
    # a hidden person asked for by name is shown, and can be left out as well
    hits = photos.photos_together(db, [fam.ann, fam.stranger])
    assert _names(hits) == ["ab_stranger.jpg"] and [n for _, n in hits[0].people][-1] == f"Person {fam.stranger}"
    # Ben's only face in ab_notface.jpg is "not a face": that photo is Ann's without Ben
    assert _names(photos.photos_together(db, [fam.ann], without=[fam.stranger, fam.ben])) == [
        "ab_notface.jpg", "a_2022.jpg"]


def test_one_person_and_a_face_marked_not_a_face(db, fam):
    assert _names(photos.photos_together(db, [fam.ben])) == [
        "ab_2023.jpg", "ab_file.jpg", "abc_2022.jpg", "ab_2021.jpg", "ab_stranger.jpg"]
    assert "ab_notface.jpg" in _names(photos.photos_together(db, [fam.ann]))


def test_asking_wrongly_is_refused(db, fam):
    from faceapp.errors import FaceappError

    with pytest.raises(FaceappError, match="both"):
        photos.photos_together(db, [fam.ann], without=[fam.ann])
    with pytest.raises(FaceappError, match="no person 999"):
        photos.photos_together(db, [fam.ann, 999])


def test_no_with_means_every_scanned_photo(db, fam):
    everything = _names(photos.photos_together(db, []))
    assert "empty.jpg" in everything and "ab_missing.jpg" not in everything and len(everything) == 8
    assert "a_2022.jpg" not in _names(photos.photos_together(db, [], without=[fam.ann]))


def test_timeline_by_month_with_people(db, fam):
    months = {m.month: m for m in photos.timeline(db)}
    assert list(months) == ["2024-01", "2023-02", "2022-12", "2022-07", "2021-06", "2020-03"]  # newest first
    july = months["2022-07"]
    assert july.photos == 3  # abc_2022, a_2022, empty.jpg
    assert [(n, c) for _, n, c in july.people] == [("Ann", 2), ("Ben", 1), ("Cy", 1)]  # most photos first
    assert sum(m.photos for m in months.values()) == 8
    assert [n for _, n, _ in months["2024-01"].people] == ["Ann"]  # "not a face" left out
    # one person's timeline (the filter is the same as photos_together's)
    cy = photos.timeline(db, [fam.cy])
    assert [(m.month, m.photos) for m in cy] == [("2022-07", 1)]
    assert [(m.month, m.photos) for m in photos.timeline(db, [fam.ann, fam.ben], without=[fam.cy])] == [
        ("2023-02", 1), ("2022-12", 1), ("2021-06", 1), ("2020-03", 1)]


def test_timeline_puts_undated_photos_last(db, fam):
    fam.photo("undated.jpg", None, [fam.ann], mtime=None)
    months = photos.timeline(db, [fam.ann])
    assert months[-1].month is None and months[-1].photos == 1
    assert _names(photos.photos_together(db, [fam.ann]))[-1] == "undated.jpg"


def test_pages_make_up_the_whole_list(db, fam):
    whole = photos.photos_together(db, [])
    pages = [photos.photos_together(db, [], limit=3, offset=k) for k in range(0, 9, 3)]
    assert [len(p) for p in pages] == [3, 3, 2] and [h for p in pages for h in p] == whole
    assert photos.photos_together(db, [fam.ann, fam.ben], limit=1)[0].people == whole[1].people  # ab_2023.jpg


def test_no_per_photo_search_of_a_persons_faces(db, fam):
    """--without was a NOT EXISTS that walked the person's faces once per photo (143 s for the two
    biggest people of 100k photos); the plan must compute each person list once."""
    from faceapp.storage import photos_query

    sql, params = photos_query._selection([fam.ann, fam.ben], [fam.cy])
    plan = " | ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall())
    assert "CORRELATED" not in plan, plan

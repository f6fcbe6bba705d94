"""Photos by the people in them: the photos where all of some people appear and none of others,
newest first, and the same photos counted by month with who is in each month.

A person is "in" a photo when one of its faces is assigned to them and not marked "not a face".
Only scanned photos count (status 'done': a missing file is not offered). A photo's date is its
EXIF date (photos.taken_at, ISO-8601 local time), else its file time in local time.

Each read is one statement: the photos of the wanted people come from the person index
(face_assignments_person), grouped by photo with HAVING; everything else joins on primary keys or
faces_photo, so the cost follows the wanted people's faces, not the library's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlite_utils import Database

from faceapp.storage.chunks import placeholders

DATE_SQL = "coalesce(ph.taken_at, strftime('%Y-%m-%dT%H:%M:%S', ph.mtime, 'unixepoch', 'localtime'))"
_REAL_FACE = "a.face_id NOT IN (SELECT face_id FROM not_faces)"


@dataclass
class PhotoHit:
    id: int
    path: str
    date: str | None  # ISO-8601, local time; None when neither EXIF nor the file says
    dated_by: str  # "exif" | "file" | "none"
    person_ids: list[int]  # everyone in the photo (hidden people too), in no set order
    faces: list[tuple[int, int]] = field(default_factory=list)  # (face id, person id) of those people, by face id


def _selection(with_ids: Sequence[int], without_ids: Sequence[int]) -> tuple[str, list]:
    """SQL for (photo id, date, exif?) of the chosen photos, and its parameters."""
    params: list = []
    if with_ids:
        src = (f"(SELECT f.photo_id AS id FROM face_assignments a JOIN faces f ON f.id = a.face_id "
               f"WHERE a.person_id IN ({placeholders(len(with_ids))}) AND {_REAL_FACE} "
               f"GROUP BY f.photo_id HAVING count(DISTINCT a.person_id) = ?) w JOIN photos ph ON ph.id = w.id")
        params += [*with_ids, len(with_ids)]
    else:
        src = "photos ph"
    where = "ph.status = 'done'"
    if without_ids:
        # a list made once from the person index (a correlated NOT EXISTS walked a person's faces per photo)
        where += (f" AND ph.id NOT IN (SELECT f.photo_id FROM face_assignments a JOIN faces f ON f.id = a.face_id "
                  f"WHERE a.person_id IN ({placeholders(len(without_ids))}) AND {_REAL_FACE})")
        params += list(without_ids)
    return f"SELECT ph.id AS id, ph.path AS path, {DATE_SQL} AS date, ph.taken_at IS NOT NULL AS exif FROM {src} WHERE {where}", params


def photos_with(db: Database, with_ids: Sequence[int], without_ids: Sequence[int] = (), limit: int | None = None,
                offset: int = 0) -> list[PhotoHit]:
    """The scanned photos where every one of with_ids appears and none of without_ids (with_ids
    empty: every scanned photo), newest first (undated last), then by path. limit/offset: one page
    of that order; the people of a photo are looked up for the page's photos only."""
    sel, params = _selection(with_ids, without_ids)
    order = "ORDER BY date IS NULL, date DESC, path"
    rows = db.execute(
        f"WITH sel AS ({sel}), page AS (SELECT * FROM sel {order} LIMIT ? OFFSET ?) "
        f"SELECT page.id, page.path, page.date, page.exif, "
        f"(SELECT group_concat(f.id || ':' || a.person_id) FROM faces f JOIN face_assignments a ON a.face_id = f.id "
        f" WHERE f.photo_id = page.id AND {_REAL_FACE}) "
        f"FROM page {order}", [*params, -1 if limit is None else int(limit), int(offset)]).fetchall()
    return [_hit(r) for r in rows]


def _hit(r: Sequence) -> PhotoHit:
    faces = sorted(tuple(int(v) for v in pair.split(":")) for pair in r[4].split(",")) if r[4] else []
    people = list(dict.fromkeys(p for _, p in faces))
    return PhotoHit(r[0], r[1], r[2], "exif" if r[3] else ("file" if r[2] else "none"), people, faces)


def months_with(db: Database, with_ids: Sequence[int], without_ids: Sequence[int] = ()
                ) -> tuple[list[tuple[str | None, int]], list[tuple[str | None, int, int]]]:
    """The chosen photos (as photos_with) by year-month "YYYY-MM" (None: undated): [(month, photos)]
    newest first, and [(month, person id, photos of theirs that month)]."""
    sel, params = _selection(with_ids, without_ids)
    month = "substr(sel.date, 1, 7)"
    counts = db.execute(f"WITH sel AS ({sel}) SELECT {month} AS m, count(*) FROM sel GROUP BY m "
                        "ORDER BY m IS NULL, m DESC", params).fetchall()
    people = db.execute(
        f"WITH sel AS ({sel}) SELECT {month} AS m, a.person_id, count(DISTINCT sel.id) FROM sel "
        f"JOIN faces f ON f.photo_id = sel.id JOIN face_assignments a ON a.face_id = f.id WHERE {_REAL_FACE} "
        "GROUP BY m, a.person_id", params).fetchall()
    return [(r[0], int(r[1])) for r in counts], [(r[0], int(r[1]), int(r[2])) for r in people]


def person_labels(db: Database) -> dict[int, tuple[str | None, bool]]:
    """Every person id -> (name or None, hidden?)."""
    return {int(r[0]): (r[1], bool(r[2])) for r in db.execute("SELECT id, name, hidden FROM persons").fetchall()}

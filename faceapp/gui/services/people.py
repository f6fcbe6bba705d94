"""People: listing, the user's decisions, re-clustering — over faceapp.jobs.people."""

from __future__ import annotations

from sqlite_utils import Database

from faceapp.gui.services.types import ViewerFace
from faceapp.gui.services.verify import thresholds
from faceapp.jobs import people as P
from faceapp.progress import ProgressFn, StopFn
from faceapp.storage.people import clean_name
from faceapp.types import Face, FarKey, Person, person_label


def _far_for(strictness: float) -> FarKey:
    """Clustering strictness → the false-accept rate whose calibrated threshold links faces."""
    return "1e-2" if strictness < 0.34 else "1e-3" if strictness < 0.67 else "1e-4"


def recluster(db: Database, strictness: float = 0.5, progress: ProgressFn | None = None,
              stop: StopFn | None = None) -> dict:
    """Group faces again; every decision is a constraint the clusterer keeps. Progress is reported
    per stage; a stop request ends it between stages with nothing written ({"cancelled": True})."""
    try:
        if thresholds(db):
            return P.recluster(db, far=_far_for(strictness), progress=progress, stop=stop).as_dict()
        # An uncalibrated model: OpenCV's published SFace cosine threshold, nudged by strictness.
        return P.recluster(db, threshold=0.363 + 0.1 * (strictness - 0.5), progress=progress, stop=stop).as_dict()
    except P.ReclusterCancelled:
        return {"cancelled": True}


def list_people(db: Database, include_hidden: bool = False) -> list[Person]:
    """People with at least one face. A person left with none (every face "not a face", moved
    away, or emptied by a merge answered No) stays in the library, so undo and the decisions that
    name them keep working, but is not shown or offered anywhere: an empty tile helps nobody."""
    return [p for p in P.list_people(db, include_hidden=include_hidden) if p.faces > 0]


def person(db: Database, person_id: int) -> Person | None:
    return next((p for p in list_people(db, True) if p.id == person_id), None)


def person_faces(db: Database, person_id: int, least_like_first: bool = False) -> list[Face]:
    """The person's faces; with `least_like_first`, the faces farthest from the person's mean
    embedding first (a wrong face is then on the first row; faces with no embedding go last)."""
    faces = P.person_faces(db, person_id)
    if least_like_first:
        from faceapp.jobs.person_order import face_distances

        far = face_distances(db, person_id)
        faces.sort(key=lambda f: -far.get(f.id, -1.0))
    return faces


def unsorted_faces(db: Database) -> list[Face]:
    """Faces in no person yet (too few like them, or taken out by "not this person")."""
    return P.unsorted_faces(db)


def rename(db: Database, person_id: int, name: str) -> None:
    P.name_person(db, person_id, name.strip() or None)


def merge(db: Database, into: int, other: int) -> None:
    P.merge_people(db, into, [other])


def merge_many(db: Database, into: int, others: list[int]) -> None:
    """Several people into one, as one step (one undo takes it all back)."""
    P.merge_people(db, into, others)


def split(db: Database, person_id: int, face_ids: list[int]) -> int:
    return P.split_person(db, person_id, face_ids)


def confirm(db: Database, face_ids: list[int], person_id: int) -> None:
    P.confirm_faces(db, face_ids, person_id)


def move(db: Database, face_ids: list[int], person_id: int) -> None:
    """Put faces in another person: a confirmation as that person."""
    P.confirm_faces(db, face_ids, person_id)


def reject(db: Database, face_ids: list[int], person_id: int) -> None:
    P.reject_faces(db, face_ids, person_id)


def not_a_face(db: Database, face_ids: list[int]) -> None:
    P.mark_not_face(db, face_ids)


def set_hidden(db: Database, person_id: int, hidden: bool) -> None:
    P.hide_person(db, person_id, hidden)


def hide_people(db: Database, person_ids: list[int]) -> None:
    """Hide several people (e.g. small groups of strangers) as one step."""
    P.hide_people(db, person_ids, True)


def people_not_faces(db: Database, person_ids: list[int]) -> None:
    """Every face of these people is "not a face" (a dog, dark blobs), as one step."""
    P.mark_not_face(db, [f.id for p in person_ids for f in P.person_faces(db, p)])


def undo(db: Database) -> str | None:
    """What was undone, in words, or None when there is nothing to undo."""
    done = P.undo(db)
    return None if done is None else describe(db, done.get("action") or "", done.get("summary") or {})


def _faces(n: int) -> str:
    return f"{n} face" + ("" if n == 1 else "s")


def describe(db: Database, action: str, summary: dict) -> str:
    """A history step in words ("merging Person 7 into Ann"), for the status bar after undo."""
    from faceapp.storage.people import person_row

    def who(pid: object) -> str:
        row = person_row(db, int(pid)) if isinstance(pid, int) else None
        return person_label(int(pid), row["name"] if row else None) if isinstance(pid, int) else "a person"

    faces = summary.get("faces")
    n = len(faces) if isinstance(faces, list) else faces if isinstance(faces, int) else 0
    person = summary.get("person")
    words = {
        "confirm": f"confirming {_faces(n)} as {who(person)}",
        "move": f"moving {_faces(n)} to {who(person)}",
        "reject": f"“not this person” on {_faces(n)} of {who(person)}",
        "not_a_face": f"marking {_faces(n)} as not a face",
        "split": f"splitting {_faces(n)} off {who(person)}",
        "merge": "merging " + ", ".join(who(s) for s in summary.get("sources") or []) + f" into {who(summary.get('target'))}",
        "name": f"naming {who(person)} “{summary.get('name')}”" if summary.get("name") else f"the name of {who(person)}",
        "hide": f"hiding {len(summary['people'])} people" if summary.get("people") else f"hiding {who(person)}",
        "unhide": f"showing {len(summary['people'])} people again" if summary.get("people") else f"showing {who(person)} again",
        "dismiss_merge": "“different people” on " + " and ".join(who(p) for p in summary.get("people") or []),
        "add_face": f"adding a face to {who(person)}",
        "delete_face": f"deleting {_faces(n)}",
        "birth_date": f"the birth date of {who(person)}",
    }
    return words.get(action) or action.replace("_", " ")


def merge_suggestions(db: Database, person_id: int, limit: int = 5) -> list[tuple[Person, float]]:
    """The people with a prototype closest to one of this person's, most similar first (the
    people module caches prototypes, so this stays cheap on a big library)."""
    from faceapp.jobs.recluster import person_prototypes

    people = {p.id: p for p in list_people(db, True)}
    protos, owner = person_prototypes(db)
    mine = protos[owner == person_id] if len(owner) else protos[:0]
    if not len(mine):
        return []
    sims = (protos @ mine.T).max(axis=1)
    best: dict[int, float] = {}
    for p, v in zip(owner.tolist(), sims.tolist(), strict=True):
        if p != person_id and p in people and v > best.get(p, -2.0):
            best[p] = v
    top = sorted(best.items(), key=lambda kv: -kv[1])[:limit]
    return [(people[p], float(v)) for p, v in top]


def viewer_faces(db: Database, photo_id: int) -> list[ViewerFace]:
    """Every face of a photo (not-a-face marks left out) with its person's name and age on the photo."""
    from faceapp.jobs.birth_date import with_age
    from faceapp.storage.faces import photo_for_faces
    from faceapp.storage.people import DECIDED, birth_dates

    photo = photo_for_faces(db, photo_id=photo_id) or {}
    names = {p.id: p.label for p in P.list_people(db, include_hidden=True)}
    born = birth_dates(db)
    drawn = {f for f, _ in _user_faces(db, photo_id)}
    return [ViewerFace(f.id, f.box, with_age(names.get(f.person_id, person_label(f.person_id, None)), born.get(f.person_id),
                                             photo.get("date")) if f.person_id else "unsorted",
                       f.person_id, f.source in DECIDED, f.id in drawn)
            for f in P.photo_faces(db, photo_id)]


def _user_faces(db: Database, photo_id: int) -> list:
    from faceapp.storage.faces import user_faces

    return user_faces(db, photo_id)


def person_photo_list(db: Database, person_id: int) -> list[tuple[int, str]]:
    """(photo id, path) of a person's photos, newest first: the viewer's previous/next."""
    from faceapp.storage.photos_query import photos_with

    return [(h.id, h.path) for h in photos_with(db, [person_id])]


def people_names(db: Database) -> list[tuple[int, str]]:
    """(id, label) of every person with faces, named first: the choices when naming a face."""
    return [(p.id, p.label) for p in list_people(db, include_hidden=True)]


def _person_named(db: Database, name: str) -> int | None:
    """The one person with this exact name or label ("Person 7"), case-insensitive."""
    want = name.strip().casefold()
    hits = [p.id for p in P.list_people(db, include_hidden=True) if p.label.casefold() == want]
    return hits[0] if len(hits) == 1 else None


def assign_to_name(db: Database, face_ids: list[int], name: str) -> int:
    """Put faces in the person called `name` (as confirmed), or in a new person of that name: one
    undoable step either way (undo takes a new person away again). Returns the person id."""
    from faceapp.storage.people import create_person
    from faceapp.storage.tx import transaction

    pid = _person_named(db, name)
    if pid is not None:
        P.confirm_faces(db, face_ids, pid)
        return pid
    clean = clean_name(name)
    if not clean:
        raise P.PeopleError("a person needs a name")
    ids = P._require_faces(db, face_ids)
    with transaction(db):
        new = create_person(db, clean)
        P.confirm_as(db, dict.fromkeys(ids, new), "move", {"faces": ids, "person": new}, new_people=[new])
    return new


def add_face(db: Database, photo_id: int, box: tuple[float, float, float, float], name: str) -> int:
    """A face the user drew, for the person called `name` (a new name makes a new person). Decodes
    the photo and embeds the face: call it on the action thread. Returns the new face's id."""
    from faceapp.jobs.add_face import add_face as add

    pid = _person_named(db, name)
    clean = None if pid is not None else clean_name(name)
    if pid is None and not clean:
        raise P.PeopleError("a drawn face needs a person's name")
    return add(db, photo_id, box, pid, new_name=clean).face_id


def delete_faces(db: Database, face_ids: list[int]) -> int:
    from faceapp.jobs.add_face import delete_faces as delete

    return delete(db, face_ids)

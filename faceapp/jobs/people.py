"""People: one function per user action, plus re-clustering and incremental assignment.

The GUI and CLI call these; they return plain Python values (no Qt) and raise `PeopleError` for
a request that would break a rule (e.g. two decided faces of one photo in one person).

Reading
    list_people(db, include_hidden=False) -> list[Person]   (faceapp.types: .id .name .label .hidden .faces .photos .confirmed .cover_face)
    person_faces(db, person_id) -> list[Face]
    unsorted_faces(db) -> list[Face]
    photo_faces(db, photo_id) -> list[Face]
    history(db, limit=20) -> list[dict]
Actions (each recorded in the history; `undo` reverts the latest)
    name_person(db, person_id, name)                 name=None clears it
    merge_people(db, target_id, source_ids) -> dict  sources' faces move to target, sources go
    split_person(db, person_id, face_ids, name=None) -> int   new person holding those faces (kept apart)
    confirm_faces(db, face_ids, person_id=None)      "yes, this is them" (None: their current person)
    reject_faces(db, face_ids, person_id=None)       "not this person": never proposed again
    mark_not_face(db, face_ids)                      out of every person and every clustering
    hide_person(db, person_id, hidden=True)
    hide_people(db, person_ids, hidden=True)         several as one step
    dismiss_merge(db, a, b)                          "different people": no more merge suggestion
    undo(db) -> dict | None                          what was undone
    redo(db) -> dict | None                          the step undo took back, done again
Clustering (faceapp.jobs.recluster)
    recluster(db, far="1e-3", min_size=2) -> ReclusterStats    keeps every decision; embeds missing faces first
    assign_new(db, far="1e-4", margin=0.05) -> AssignStats     new faces join people by prototypes
Review queue (faceapp.jobs.review)
    review_queue(db, limit=50) -> list[ReviewItem]; accept_items(db, items); reject_items(db, items)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlite_utils import Database

from faceapp.errors import FaceappError
from faceapp.jobs.recluster import AssignStats, ReclusterCancelled, ReclusterStats, assign_new, recluster  # noqa: F401
from faceapp.storage import decisions, views
from faceapp.storage import people as store
from faceapp.storage.tx import transaction
from faceapp.types import Face, Person


class PeopleError(FaceappError, ValueError):
    """A user action that would break a rule; nothing was written."""


def list_people(db: Database, include_hidden: bool = False) -> list[Person]:
    return store.list_persons(db, include_hidden)


def person_faces(db: Database, person_id: int) -> list[Face]:
    return views.person_faces(db, person_id)


def unsorted_faces(db: Database) -> list[Face]:
    return views.unsorted_faces(db)


def photo_faces(db: Database, photo_id: int) -> list[Face]:
    return views.photo_faces(db, photo_id)


def history(db: Database, limit: int = 20) -> list[dict]:
    return decisions.recent(db, limit)


def _require_person(db: Database, person_id: int) -> dict:
    row = store.person_row(db, person_id)
    if row is None:
        raise PeopleError(f"no person {person_id}")
    return row


def _require_faces(db: Database, face_ids: Iterable[int]) -> list[int]:
    ids = sorted({int(f) for f in face_ids})
    known = store.face_photos(db, ids)
    missing = [f for f in ids if f not in known]
    if missing:
        raise PeopleError(f"no face {missing[0]}")
    return ids


def name_person(db: Database, person_id: int, name: str | None) -> None:
    _require_person(db, person_id)
    name = store.clean_name(name)
    with transaction(db):
        decisions.record(db, "name", decisions.snapshot(db, person_ids=[person_id]), {"person": person_id, "name": name})
        store.set_name(db, person_id, name)


def hide_person(db: Database, person_id: int, hidden: bool = True) -> None:
    hide_people(db, [person_id], hidden)


def hide_people(db: Database, person_ids: Iterable[int], hidden: bool = True) -> None:
    """Hide (or show) several people as one step: one undo takes them all back."""
    ids = sorted({int(p) for p in person_ids})
    for p in ids:
        _require_person(db, p)
    if not ids:
        return
    with transaction(db):
        decisions.record(db, "hide" if hidden else "unhide", decisions.snapshot(db, person_ids=ids),
                         {"person": ids[0]} if len(ids) == 1 else {"people": ids})
        for p in ids:
            store.set_hidden(db, p, hidden)


def _place(db: Database, face_id: int, person_id: int, source: str, score: float | None = None) -> None:
    """Put a face in a person as a decision, keeping one face per photo per person."""
    photo = store.face_photos(db, [face_id])[face_id]
    for other, src in store.others_in_photo(db, person_id, photo, face_id):
        if src in store.DECIDED:
            raise PeopleError(f"face {face_id} and face {other} are in one photo; one person can't be both")
        store.unassign(db, [other])
    store.drop_rejection(db, face_id, person_id)
    store.drop_not_face(db, face_id)
    was = store.person_of(db, face_id)
    store.assign(db, face_id, person_id, source, score)
    if was != person_id:  # both people's cached prototypes no longer summarise their faces
        store.drop_prototypes(db, [person_id] + ([was] if was is not None else []))


def _photo_mates(db: Database, face_ids: list[int], person_ids: list[int]) -> list[int]:
    """Faces that share a photo with `face_ids` inside these people: _place may unassign them."""
    if not face_ids or not person_ids:
        return []
    photos = sorted(set(store.face_photos(db, face_ids).values()))
    return store.faces_in_photos_of(db, photos, person_ids)


def confirm_faces(db: Database, face_ids: Iterable[int], person_id: int | None = None) -> int:
    """Confirm faces as their current person (or move them to `person_id` as confirmed). Returns how many."""
    ids = _require_faces(db, face_ids)
    current = store.assignments(db)
    targets = {f: person_id if person_id is not None else current.get(f, (None,))[0] for f in ids}
    if any(p is None for p in targets.values()):
        raise PeopleError("an unsorted face needs a person to be confirmed as")
    for p in set(targets.values()):
        _require_person(db, p)
    confirm_as(db, targets, "confirm", {"faces": ids, "person": person_id})
    return len(ids)


def confirm_as(db: Database, targets: Mapping[int, int], action: str, summary: dict,
               new_people: Iterable[int] = ()) -> int:
    """Confirm each face as its target person, as one history step named `action` (undo reverts it
    all, and deletes `new_people`, made for this step). Returns the history id. The caller checks
    that faces and people exist; a second decided face of a person in one photo raises PeopleError."""
    faces = sorted(targets)
    current = store.assignments(db)
    with transaction(db):
        snap = decisions.snapshot(db, faces + _photo_mates(db, faces, sorted(set(targets.values()))))
        snap["people"].update({str(n): None for n in new_people})
        hid = decisions.record(db, action, snap, summary)
        for f in faces:
            _place(db, f, targets[f], "confirmed", current.get(f, (None, None, None))[2])
    return hid


def reject_faces(db: Database, face_ids: Iterable[int], person_id: int | None = None) -> int:
    """"Not this person": the faces leave it (to unsorted) and are never proposed for it again."""
    ids = _require_faces(db, face_ids)
    current = store.assignments(db)
    with transaction(db):
        decisions.record(db, "reject", decisions.snapshot(db, ids), {"faces": ids, "person": person_id})
        n = 0
        for f in ids:
            p = person_id if person_id is not None else current.get(f, (None,))[0]
            if p is None:
                continue
            store.add_rejection(db, f, p)
            if current.get(f, (None,))[0] == p:
                store.unassign(db, [f])
                store.drop_prototypes(db, [p])  # a prototype built on the face would draw look-alikes back
            n += 1
    return n


def mark_not_face(db: Database, face_ids: Iterable[int]) -> int:
    ids = _require_faces(db, face_ids)
    with transaction(db):
        decisions.record(db, "not_a_face", decisions.snapshot(db, ids), {"faces": ids})
        current = store.assignments(db)
        for f in ids:
            store.add_not_face(db, f)
        store.unassign(db, ids)
        store.drop_prototypes(db, {current[f][0] for f in ids if f in current})
    return len(ids)


def split_person(db: Database, person_id: int, face_ids: Iterable[int], name: str | None = None) -> int:
    """Move these faces of a person into a new person (as user decisions); returns the new id.

    The user said the two groups are different people: the faces left behind are recorded as "not
    the new person" (rejections), so no re-clustering joins them again; merging the two undoes it."""
    _require_person(db, person_id)
    ids = _require_faces(db, face_ids)
    current = store.assignments(db)
    wrong = [f for f in ids if current.get(f, (None,))[0] != person_id]
    if wrong:
        raise PeopleError(f"face {wrong[0]} is not in person {person_id}")
    with transaction(db):
        rest = [f for f in store.faces_of(db, person_id) if f not in set(ids)]
        new = store.create_person(db, name)
        snap = decisions.snapshot(db, ids + rest, [person_id])
        snap["people"][str(new)] = None  # undo deletes the new person (and the rejections with it)
        decisions.record(db, "split", snap, {"person": person_id, "new": new, "faces": ids})
        for f in ids:
            store.assign(db, f, new, "user", current[f][2])
        store.add_rejections(db, rest, new)
        store.drop_prototypes(db, [person_id])
    return new


def merge_people(db: Database, target_id: int, source_ids: Iterable[int]) -> dict:
    """Sources' faces join the target; their rejections become the target's. Returns a summary."""
    target = _require_person(db, target_id)
    sources = sorted({int(s) for s in source_ids} - {target_id})
    rows = [_require_person(db, s) for s in sources]
    if not sources:
        raise PeopleError("nothing to merge")
    involved = [target_id, *sources]
    with transaction(db):
        faces = [f for p in involved for f in store.faces_of(db, p)]
        rejected = store.rejected_from(db, sources)
        decisions.record(db, "merge", decisions.snapshot(db, faces + rejected, involved),
                         {"target": target_id, "sources": sources})
        dropped = []
        by_photo: dict[int, tuple[int, str]] = {}
        for f, (p, src, _) in sorted(store.assignments(db).items()):
            if p not in involved:
                continue
            ph = store.face_photos(db, [f])[f]
            if ph in by_photo:
                g, gsrc = by_photo[ph]
                if src in store.DECIDED and gsrc in store.DECIDED:
                    raise PeopleError(f"faces {g} and {f} are decided as these people and share a photo")
                loser = f if src not in store.DECIDED else g
                if loser == g:
                    by_photo[ph] = (f, src)
                store.unassign(db, [loser])
                dropped.append(loser)
            else:
                by_photo[ph] = (f, src)
        store.fold_into(db, target_id, sources)
        # The user put these faces in one person: a refusal of it by one of them (a split) is void now.
        store.drop_rejections_within(db, target_id)
        if target["name"] is None:
            name = next((r["name"] for r in rows if r["name"]), None)
            store.set_name(db, target_id, name)
        for s in sources:
            store.delete_person(db, s)
        store.drop_prototypes(db, [target_id])
    return {"target": target_id, "merged": sources, "faces": len(faces) - len(dropped), "unsorted": dropped}


def dismiss_merge(db: Database, a: int, b: int) -> None:
    """"These two are different people": the merge suggestion never comes back."""
    _require_person(db, a)
    _require_person(db, b)
    with transaction(db):
        decisions.record(db, "dismiss_merge", decisions.snapshot(db, person_ids=[a, b]), {"people": [a, b]})
        store.dismiss_merge(db, a, b)


def undo(db: Database) -> dict | None:
    """Revert the latest user action not yet undone; returns {"action", "at", "summary"} or None."""
    last = decisions.last_undoable(db)
    if last is None:
        return None
    with transaction(db):
        after = decisions.after_of(db, last)
        decisions.restore(db, last["before"])
        decisions.mark_undone(db, last["id"], after)
        store.drop_prototypes(db)
    return {"action": last["action"], "at": last["at"], "summary": last["summary"]}


def redo(db: Database) -> dict | None:
    """Do again the step undone most recently, if no decision was recorded since; as undo returns."""
    step = decisions.last_redoable(db)
    if step is None:
        return None
    with transaction(db):
        decisions.restore(db, step["after"])
        decisions.mark_redone(db, step["id"])
        store.drop_prototypes(db)
    return {"action": step["action"], "at": step["at"], "summary": step["summary"]}

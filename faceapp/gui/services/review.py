"""The review queue, over faceapp.jobs.review: the questions in the GUI's words, what each is about."""

from __future__ import annotations

from dataclasses import replace

from sqlite_utils import Database

from faceapp.gui.services.people import list_people, person, person_faces
from faceapp.gui.services.verify import thresholds
from faceapp.jobs import review as R
from faceapp.types import Face, ReviewItem


def review_queue(db: Database, limit: int = 200) -> list[ReviewItem]:
    """The clicks that fix the most, first (empty for a model without calibrated thresholds), each
    with the face to show, a caption for under it and the question in the GUI's words."""
    if not thresholds(db):
        return []
    people = {p.id: p for p in list_people(db, True)}
    out = []
    for it in R.review_queue(db, limit=limit):
        face = it.face_id
        if face is None:  # a merge question: show the other person's face
            other = people.get(it.other_person_id)
            face = other.cover_face if other else None
        if face is None or it.person_id not in people:
            continue
        label = people[it.person_id].label
        other = people[it.other_person_id].label if it.other_person_id in people else None
        caption = {"merge": f"merge with {label}?", "suggest": f"{label}?", "outlier": f"really {label}?"}
        question = {
            "merge": f"Are {label} and {other} the same person?",
            "uncertain": f"Is this {label}" + (f" (or {other})?" if other else "?"),
            "suggest": f"Is this unsorted face {label}?",
            "outlier": f"Is this really {label}?",
        }
        out.append(replace(it, score=float(it.score), text=question.get(it.kind, it.text),
                           caption=caption.get(it.kind, f"{label}?"), shown_face=face))
    return out


def review_references(db: Database, item: ReviewItem, n: int = 5) -> list[tuple[str, list[Face]]]:
    """What a question is about, beside the face it asks about: (label, a few faces) for its person
    and, for a merge or an "or Person M" question, for the other one. Each person's cover face comes
    first, then the faces the user confirmed, then the most typical; the face asked about is not
    repeated (for a merge the other person's cover is theirs, so it stays)."""
    other = item.other_person_id
    out = []
    for pid in (item.person_id, other):
        p = person(db, pid) if pid is not None else None
        if p is None:
            continue
        skip = None if item.kind == "merge" else item.face_id
        faces = [f for f in person_faces(db, p.id) if f.id != skip]
        faces.sort(key=lambda f: (f.id != p.cover_face, f.source != "confirmed", -(f.score or 0.0), f.id))
        out.append((p.label, faces[:n]))
    return out


def accept_all(db: Database, items: list[ReviewItem]) -> None:
    """Yes to each: a face is confirmed as its person; a merge question merges the two."""
    R.accept_items(db, items)


def reject_all(db: Database, items: list[ReviewItem]) -> None:
    """No to each: "not this person" for a face; a merge suggestion is dismissed for good."""
    R.reject_items(db, items)

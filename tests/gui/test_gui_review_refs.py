"""Review shows what it asks about (issue 11): beside "Is this Person 47?" a few of Person 47's
faces (their cover first); beside a merge question, a few faces of each of the two people."""

from __future__ import annotations

from faceapp.gui import services
from faceapp.types import ReviewItem


def _groups(view) -> list[tuple[str, list[int]]]:
    out = []
    for label, model in view.ref_groups():
        out.append((label, [model.face_at(r).id for r in range(model.total())]))
    return out


def test_a_question_about_a_person_shows_a_few_of_their_faces(qtbot, window, settle):
    review = window.show_view("Review")
    settle(window)
    row = next((i for i, it in enumerate(review.items) if it.kind != "merge"), None)
    assert row is not None, "the grouped sample has uncertain faces to review"
    review.grid.setCurrentIndex(review.model.index(row))
    it = review.items[row]
    qtbot.waitUntil(lambda: review.refs_item is it and not window.ctx.reading(), timeout=10_000)
    groups = _groups(review)
    person = services.person(window.ctx.db, it.person_id)
    own = {f.id for f in services.person_faces(window.ctx.db, it.person_id)}
    label, faces = groups[0]
    assert person.label in label
    assert faces and faces[0] == person.cover_face and set(faces) <= own and it.face_id not in faces
    assert len(faces) <= 5 and review.refs.isVisible()


def test_a_merge_question_shows_both_people(window):
    db = window.ctx.db
    a, b = services.list_people(db)[:2]
    item = ReviewItem(key=f"merge:{a.id}:{b.id}", kind="merge", person_id=a.id, other_person_id=b.id, score=0.5,
                      caption="merge?", shown_face=b.cover_face)
    groups = services.review_references(db, item)
    assert [g[0] for g in groups] == [a.label, b.label]
    assert [g[1][0].id for g in groups] == [a.cover_face, b.cover_face]
    assert b.cover_face not in [f.id for f in groups[1][1]][1:]  # each face once

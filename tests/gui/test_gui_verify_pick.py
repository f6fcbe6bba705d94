"""Verify pickers (issue 11): each side finds a person by name (completion over the people's names),
then one of that person's faces — not a grid of every face in the library."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt

from faceapp.gui import services


def test_a_typed_name_picks_the_person_then_one_of_their_faces(qtbot, window, settle):
    db = window.ctx.db
    a, b = sorted(services.list_people(db), key=lambda p: -p.faces)[:2]
    window.ctx.act(services.rename, b.id, "Annabel Lee")
    settle(window)
    view = window.show_view("Verify")
    settle(window)
    total = len(services.all_faces(db))
    assert 0 < view.models[0].total() < total and 0 < view.models[1].total() < total  # one person each, not all
    names = view.names.stringList()
    assert names[0] == "Annabel Lee" and {p.label for p in services.list_people(db)} == set(names)  # named first

    field = view.person_fields[1]
    completer = field.completer()
    completer.setCompletionPrefix("bel")  # any part of a name, any case
    assert completer.currentCompletion() == "Annabel Lee"

    field.setFocus()
    field.clear()
    qtbot.keyClicks(field, "annab")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    settle(window)
    assert view.chosen[1].id == b.id and field.text() == "Annabel Lee"
    assert {view.models[1].face_at(r).id for r in range(view.models[1].total())} == {f.id for f in services.person_faces(db, b.id)}
    assert view._picked_face(1) == b.cover_face  # their cover face is picked, ready to compare

    view.pick_person(0, a.label)
    settle(window)
    view.select_face(0, 1)
    with qtbot.waitSignal(view.verdict_shown, timeout=5000) as sig:
        view.compare()
    assert sig.args[0] is not None
    if os.environ.get("FACEAPP_SHOTS"):
        window.grab().save(os.path.join(os.environ["FACEAPP_SHOTS"], "verify_pick.png"))


def test_an_unknown_name_says_so_and_changes_nothing(qtbot, window, settle):
    view = window.show_view("Verify")
    settle(window)
    before = view.chosen[0]
    assert view.pick_person(0, "Nobody At All") is None
    assert view.chosen[0] is before and "No person called “Nobody At All”" in view.result.text()

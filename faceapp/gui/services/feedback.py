"""What a user action just did, in words, for the status bar ("Merged Ann into Alice · Undo (Ctrl+Z)").

The words come from the history row the action recorded, so every action that can be undone
says what it did the same way, wherever it was made. Names are read from the row's "before"
snapshot: a merged-away person no longer exists after the merge, but their name is still there.
Undo and redo say the same words of the step they take back or do again, and offer the other
("Undone: Merged Ann into Alice · Redo (Ctrl+Shift+Z)").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from faceapp.storage import decisions
from faceapp.storage.people import person_row
from faceapp.types import person_label

UNDO_HINT = "Undo (Ctrl+Z)"
REDO_HINT = "Redo (Ctrl+Shift+Z)"


def and_list(words: list[str]) -> str:
    """"Ann", "Ann and Bob", "Ann, Bob and Cid"."""
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 2 else words)


def _faces(n: int) -> str:
    return f"{n} face" + ("" if n == 1 else "s")


def done_words(db: Database, step: dict) -> str:
    """A history step (with its "before" snapshot) in the past tense: "Merged Ann into Alice"."""
    before = (step.get("before") or {}).get("people") or {}
    summary = step.get("summary") or {}

    def who(pid: object) -> str:
        if not isinstance(pid, int):
            return "a person"
        row = before.get(str(pid)) or person_row(db, pid)
        return person_label(pid, row["name"] if row else None)

    faces = summary.get("faces")
    n = len(faces) if isinstance(faces, list) else faces if isinstance(faces, int) else 0
    person = summary.get("person")
    many = len(summary.get("people") or [])
    action = step.get("action") or ""
    if action == "name":
        old, new = who(person), summary.get("name")
        had_name = bool((before.get(str(person)) or {}).get("name"))
        words = (f"Renamed {old} to {new}" if had_name else f"Named {old} “{new}”") if new else f"Cleared the name of {old}"
    else:
        words = {
            "confirm": f"Confirmed {_faces(n)} as {who(person)}",
            "move": f"Moved {_faces(n)} to {who(person)}",
            "reject": f"Took {_faces(n)} out of {who(person)} (not this person)",
            "not_a_face": f"Marked {_faces(n)} as not a face",
            "split": f"Split {_faces(n)} off {who(person)} into {person_label(summary['new'], None)}" if summary.get("new")
            else f"Split {_faces(n)} off {who(person)}",
            "merge": "Merged " + and_list([who(s) for s in summary.get("sources") or []]) + f" into {who(summary.get('target'))}",
            "hide": f"Hid {many} people" if many else f"Hid {who(person)}",
            "unhide": f"Showed {many} people again" if many else f"Showed {who(person)} again",
            "dismiss_merge": "Kept " + " and ".join(who(p) for p in summary.get("people") or []) + " apart",
            "add_face": f"Added a face to {who(person)}",
            "delete_face": f"Deleted {_faces(n)}",
            "birth_date": (f"Set {who(person)}'s birth date to {summary['birth_date']}" if summary.get("birth_date")
                           else f"Cleared {who(person)}'s birth date"),
        }.get(action) or action.replace("_", " ").capitalize()
    return words


def latest_id(db: Database) -> int:
    step = decisions.last_undoable(db)
    return 0 if step is None else int(step["id"])


def told(fn: Callable[..., Any]) -> Callable[..., tuple[Any, str | None]]:
    """fn(db, *args) → (its result, the words for the step it recorded, or None if it recorded none).
    Runs on the action thread: the one writer of this window, so the newest step is fn's."""

    def run(db: Database, *args: Any) -> tuple[Any, str | None]:
        mark = latest_id(db)
        result = fn(db, *args)
        step = decisions.last_undoable(db)
        if step is None or step["id"] <= mark:  # nothing recorded (undo leaves an older step newest)
            return result, None
        n = sum(1 for s in decisions.recent(db, 1000) if s["id"] > mark and not s["undone"])
        words = done_words(db, step)  # e.g. several review answers: say the last, and how many
        return result, (f"{words} (the last of {n} decisions) · {UNDO_HINT} takes back one" if n > 1
                        else f"{words} · {UNDO_HINT}")

    return run


def undo_step(db: Database) -> str:
    """Undo the latest decision; what was undone, in words, with the way to redo it."""
    from faceapp.jobs.people import undo

    step = decisions.last_undoable(db)
    if step is None:
        return "Nothing to undo"
    words = done_words(db, step)  # before the undo: the step's people still stand as it left them
    undo(db)
    return f"Undone: {words} · {REDO_HINT}"


def redo_step(db: Database) -> str:
    """Do again the decision undone last (while nothing new was decided since), in words."""
    from faceapp.jobs.people import redo

    step = decisions.last_redoable(db)
    if step is None:
        return "Nothing to redo"
    words = done_words(db, step)
    redo(db)
    return f"Redone: {words} · {UNDO_HINT}"

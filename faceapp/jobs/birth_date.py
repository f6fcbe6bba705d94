"""A person's birth date (optional), and the age it gives them on a photo ("Anna, 4").

Only shown, never used in clustering: nothing measured yet says it helps (see issue 12).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlite_utils import Database

from faceapp.errors import FaceappError
from faceapp.storage import decisions
from faceapp.storage import people as store
from faceapp.storage.tx import transaction


class BirthDateError(FaceappError, ValueError):
    """Not a date, a date in the future, or no such person; nothing was written."""


def parse_date(text: str, today: date | None = None) -> str:
    """YYYY-MM-DD as stored; refuses other forms and dates after today."""
    try:
        d = date.fromisoformat(text.strip())
    except ValueError:
        raise BirthDateError(f"{text!r} is not a date as YYYY-MM-DD (e.g. 2019-04-23)") from None
    if d > (today or date.today()):
        raise BirthDateError(f"{d.isoformat()} is in the future")
    return d.isoformat()


def set_birth_date(db: Database, person_id: int, text: str | None) -> str | None:
    """Set (or with None clear) a person's birth date as one undoable step; returns it as stored."""
    if store.person_row(db, person_id) is None:
        raise BirthDateError(f"no person {person_id}")
    value = parse_date(text) if text else None
    with transaction(db):
        decisions.record(db, "birth_date", decisions.snapshot(db, person_ids=[person_id]),
                         {"person": person_id, "birth_date": value})
        store.set_birth_date(db, person_id, value)
    return value


def birth_date(db: Database, person_id: int) -> str | None:
    row = store.person_row(db, person_id)
    return row.get("birth_date") if row else None


def age_on(birth: str | None, when: str | None) -> int | None:
    """Whole years from `birth` (YYYY-MM-DD) to `when` (an ISO date or date-time, as photos keep
    their EXIF date); None when either is unknown or the photo is from before the birth."""
    if not birth or not when:
        return None
    try:
        b = date.fromisoformat(birth[:10])
        w = datetime.fromisoformat(when).date() if "T" in when or " " in when else date.fromisoformat(when[:10])
    except ValueError:
        return None
    years = w.year - b.year - ((w.month, w.day) < (b.month, b.day))
    return years if years >= 0 else None


def with_age(label: str, birth: str | None, when: str | None) -> str:
    """"Anna, 4" when the age on that date is known, else the label."""
    age = age_on(birth, when)
    return label if age is None else f"{label}, {age}"

"""A person's birth date: stored, undoable, refused when it is no date; the age on a photo's date."""

from __future__ import annotations

from datetime import date

import pytest

from faceapp.cli import main
from faceapp.jobs.birth_date import BirthDateError, age_on, birth_date, parse_date, set_birth_date, with_age
from faceapp.jobs.people import undo
from faceapp.storage.db import open_library
from faceapp.storage.people import create_person


def test_age_on_counts_whole_years_to_the_birthday():
    assert age_on("2019-04-23", "2023-04-22T10:00:00") == 3
    assert age_on("2019-04-23", "2023-04-23T00:00:00") == 4
    assert age_on("2020-02-29", "2021-02-28") == 0
    assert age_on("2019-04-23", "2019-01-01") is None  # a photo from before the birth
    assert age_on(None, "2020-01-01") is None and age_on("2019-01-01", None) is None
    assert age_on("2019-01-01", "not a date") is None
    assert with_age("Anna", "2019-04-23", "2023-05-01 12:00:00") == "Anna, 4"
    assert with_age("Anna", None, "2023-05-01") == "Anna"


def test_parse_date_refuses_other_forms_and_the_future():
    assert parse_date(" 2019-04-23 ") == "2019-04-23"
    for bad in ("23.04.2019", "2019-13-01", "yesterday", ""):
        with pytest.raises(BirthDateError):
            parse_date(bad)
    with pytest.raises(BirthDateError, match="future"):
        parse_date("2030-01-02", today=date(2030, 1, 1))


def test_set_clear_and_undo(db):
    pid = create_person(db, "Anna")
    assert set_birth_date(db, pid, "2019-04-23") == "2019-04-23"
    set_birth_date(db, pid, "2019-04-24")
    assert undo(db)["action"] == "birth_date"
    assert birth_date(db, pid) == "2019-04-23"
    set_birth_date(db, pid, None)
    assert birth_date(db, pid) is None
    undo(db)
    assert birth_date(db, pid) == "2019-04-23"
    with pytest.raises(BirthDateError, match="no person"):
        set_birth_date(db, 999, "2019-01-01")


def test_cli(tmp_path, capsys):
    path = tmp_path / "library.db"
    pid = create_person(open_library(path), "Anna")
    assert main(["birth-date", "Anna", "2019-04-23", "--db", str(path)]) == 0
    assert capsys.readouterr().out.strip() == "2019-04-23"
    assert main(["birth-date", str(pid), "--db", str(path)]) == 0
    assert capsys.readouterr().out.strip() == "2019-04-23"
    assert main(["birth-date", "Anna", "23/04/2019", "--db", str(path)]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert main(["birth-date", "Anna", "--clear", "--db", str(path)]) == 0
    assert capsys.readouterr().out.strip() == "no birth date"

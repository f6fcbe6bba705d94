"""A FaceappError is a refusal: the CLI says it in one line (status 2); anything else keeps its trace."""

from __future__ import annotations

import pytest

from faceapp.errors import FaceappError


def _library(tmp_path):
    from faceapp.storage.people import create_person
    from faceapp.storage.session import library

    lib = tmp_path / "lib.db"
    with library(lib) as db:
        create_person(db, "Ann")
    return lib


@pytest.mark.parametrize("error", ["faceapp.jobs.people:PeopleError", "faceapp.jobs.verify:VerifyError",
                                   "faceapp.jobs.export:ExportError", "faceapp.cli:CLIError"])
def test_a_refusal_from_any_layer_is_one_line(tmp_path, capsys, monkeypatch, error):
    import importlib

    from faceapp.cli import main, people_cmds

    mod, name = error.split(":")
    cls = getattr(importlib.import_module(mod), name)
    assert issubclass(cls, FaceappError)

    def refuse(*args, **kwargs):
        raise cls("face 3 and face 4 are in one photo;\n  one person can't be both")

    monkeypatch.setattr(people_cmds, "_act", refuse)
    assert main(["name", "1", "Bo", "--db", str(_library(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert err == "faceapp: face 3 and face 4 are in one photo; one person can't be both\n"


def test_the_job_errors_are_still_value_errors():
    """Callers that catch ValueError (the GUI, older CLI code) go on catching them."""
    from faceapp.jobs.export import ExportError
    from faceapp.jobs.people import PeopleError
    from faceapp.jobs.verify import VerifyError

    assert all(issubclass(c, ValueError) for c in (PeopleError, VerifyError, ExportError))


def test_an_error_that_is_not_a_refusal_keeps_its_trace(tmp_path, monkeypatch):
    from faceapp.cli import main, people_cmds

    def bug(*args, **kwargs):
        raise ValueError("a bug, not a refusal")

    monkeypatch.setattr(people_cmds, "_act", bug)
    with pytest.raises(ValueError, match="a bug"):
        main(["name", "1", "Bo", "--db", str(_library(tmp_path))])

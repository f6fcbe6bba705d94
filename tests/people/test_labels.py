"""One word for a person everywhere: the CLI, the GUI's services, the export table and the photo
queries all call an unnamed person what faceapp.types.person_label says."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from faceapp.types import person_label

PKG = Path(__file__).resolve().parents[2] / "faceapp"


def test_an_unnamed_person_has_one_label_in_the_cli_the_gui_and_the_exports(tmp_path, capsys):
    from faceapp.cli import main
    from faceapp.gui import services
    from faceapp.jobs import export, people
    from faceapp.storage.db import open_library

    from .conftest import FakeLibrary

    path = tmp_path / "lib.db"
    db = open_library(path)
    FakeLibrary(db)
    people.recluster(db)
    ps = people.list_people(db)
    people.name_person(db, ps[0].id, "Ann")
    unnamed = next(p for p in people.list_people(db) if p.name is None)
    want = person_label(unnamed.id, None)
    assert want == f"Person {unnamed.id}" and unnamed.label == want
    assert main(["people", "--db", str(path), "--json"]) == 0
    cli = {p["id"]: p["label"] for p in json.loads(capsys.readouterr().out)}
    assert cli[unnamed.id] == want and cli[ps[0].id] == "Ann"
    assert services.person(db, unnamed.id).label == want
    assert {r["person"] for r in export.face_table(db, [unnamed.id])} == {want}


def test_no_module_but_faceapp_types_spells_the_label():
    """A second spelling ("Person N" written out) is how two words for one person came back."""
    for f in sorted(PKG.rglob("*.py")):
        if f.name == "types.py" and f.parent == PKG or "bench" in f.parts:
            continue
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                assert node.values[0].value != "Person ", f"{f}:{node.lineno} spells the person label"


def test_the_shared_types_module_is_a_leaf():
    tree = ast.parse((PKG / "types.py").read_text())
    mods = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    mods |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m and m.startswith("faceapp") for m in mods)

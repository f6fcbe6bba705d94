"""The people, review, verify, export and eval commands, end to end on the scanned sample album."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from faceapp.cli import main


@pytest.fixture
def lib_path(scanned_sample, tmp_path):
    p = tmp_path / "lib.db"
    shutil.copy(scanned_sample, p)
    return p


def run(capsys, *args) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def people_json(capsys, db) -> list[dict]:
    code, out = run(capsys, "people", "--db", str(db), "--json", "--all")
    assert code == 0
    return json.loads(out)


def test_cluster_and_every_people_command(capsys, lib_path):
    db = str(lib_path)
    code, out = run(capsys, "cluster", "--db", db, "--json")
    assert code == 0 and json.loads(out)["faces"] > 40
    ps = people_json(capsys, db)
    assert len(ps) >= 8
    faces = json.loads(run(capsys, "faces", "--db", db, "--json")[1])
    by_face = {f["id"]: Path(f["path"]).stem.rsplit("_", 1)[0] for f in faces}
    from faceapp.jobs.people import person_faces
    from faceapp.storage.db import open_library

    lib = open_library(lib_path)
    clooney = max(ps, key=lambda p: Counter(by_face[f.id] for f in person_faces(lib, p["id"]))["George_Clooney"])
    assert run(capsys, "name", "--db", db, str(clooney["id"]), "George", "Clooney")[0] == 0
    assert any(p["name"] == "George Clooney" for p in people_json(capsys, db))
    cf = [f.id for f in person_faces(lib, clooney["id"])]
    assert run(capsys, "confirm", "--db", db, str(cf[0]))[0] == 0
    assert run(capsys, "reject", "--db", db, str(cf[1]))[0] == 0
    assert run(capsys, "not-face", "--db", db, str(cf[2]))[0] == 0
    code, out = run(capsys, "split", "--db", db, "George Clooney", str(cf[3]), "--name", "Young George")
    assert code == 0 and "new person" in out
    other = next(p for p in ps if p["id"] != clooney["id"])
    assert run(capsys, "merge", "--db", db, "George Clooney", str(other["id"]))[0] == 0
    assert run(capsys, "hide", "--db", db, "Young George")[0] == 0
    assert not any(p["name"] == "Young George" for p in json.loads(run(capsys, "people", "--db", db, "--json")[1]))
    code, out = run(capsys, "cluster", "--db", db)  # decisions survive a re-cluster
    assert code == 0
    names = {p["name"]: p for p in people_json(capsys, db)}
    assert names["Young George"]["hidden"] and "George Clooney" in names
    assert cf[1] not in {f.id for f in person_faces(lib, names["George Clooney"]["id"])}
    for action in ("hide", "merge", "split", "not_a_face", "reject", "confirm", "name"):
        code, out = run(capsys, "undo", "--db", db)
        assert code == 0 and f"undid {action}" in out
    code, out = run(capsys, "review", "--db", db, "--json")
    assert code == 0 and isinstance(json.loads(out), list)
    code, out = run(capsys, "verify", "--db", db, str(cf[0]), str(cf[4]), "--json")
    v = json.loads(out)
    assert code == 0 and v["same"] and v["far"] == "1e-3"
    csv_out = Path(db).parent / "faces.csv"
    code, out = run(capsys, "export", "csv", "--db", db, "--out", str(csv_out))
    assert code == 0 and json.loads(out)["written"] > 0 and csv_out.exists()


def test_user_errors_are_reported(capsys, lib_path):
    db = str(lib_path)
    run(capsys, "cluster", "--db", db)
    assert main(["name", "--db", db, "no such person", "X"]) == 2
    assert main(["confirm", "--db", db, "99999999"]) == 2
    assert main(["review", "--db", db, "--accept", "merge:1:99999"]) == 2
    assert main(["undo", "--db", db]) == 1  # nothing to undo


def test_eval_pairs_on_lfw_format(capsys, tmp_path, sample_album):
    names = Counter(p.stem.rsplit("_", 1)[0] for p in sample_album.glob("*.jpg"))
    multi = [n for n, c in names.items() if c >= 2]
    single = sorted(names)
    lines = ["1 12"]
    for n in multi[:6]:
        lines.append(f"{n} 1 2")
    for a, b in zip(single[:6], single[6:12], strict=True):
        lines.append(f"{a} 1 {b} 1")
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("\n".join(lines) + "\n")
    code, out = run(capsys, "eval", "pairs", str(pairs), str(sample_album), "--json", "--device", "cpu")
    r = json.loads(out)
    assert code == 0 and r["pairs"] == 12 and r["genuine"] == 6
    assert r["accuracy_10fold"] >= 0.75 and 0 <= r["tar_at_far_1e-2"] <= 1


def test_eval_clusters_on_person_folders(capsys, tmp_path, sample_album):
    names = Counter(p.stem.rsplit("_", 1)[0] for p in sample_album.glob("*.jpg"))
    keep = [n for n, c in names.items() if c >= 4][:4]
    root = tmp_path / "people"
    for p in sample_album.glob("*.jpg"):
        n = p.stem.rsplit("_", 1)[0]
        if n in keep:
            (root / n).mkdir(parents=True, exist_ok=True)
            (root / n / p.name).symlink_to(p)
    code, out = run(capsys, "eval", "clusters", str(root), "--db", str(tmp_path / "e.db"), "--json")
    r = json.loads(out)
    assert code == 0 and r["people"] == 4 and r["labeled_faces"] >= 16
    methods = {m["method"]: m for m in r["methods"]}
    assert set(methods) == {"faceapp", "immich-dbscan", "hdbscan-default"}
    assert methods["faceapp"]["bcubed_p"] >= 0.9 and 0 < methods["faceapp"]["bcubed_f"] <= 1

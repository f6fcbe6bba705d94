"""STANDIN: minimal people/verify/export behaviour until faceapp.jobs.people/verify/export land.

Only faceapp.gui.services imports this; delete it once every service calls the real job.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import numpy as np
from sqlite_utils import Database

from faceapp.gui import services as S
from faceapp.jobs.models import ensure_active_model
from faceapp.storage.db import now
from faceapp.storage.faces import embeddings
from faceapp.storage.tx import transaction


def _vectors(db: Database) -> tuple[np.ndarray, np.ndarray]:
    ids, vec = embeddings(db, ensure_active_model(db)["id"])
    bad = {r[0] for r in db.execute("SELECT face_id FROM not_faces").fetchall()}
    keep = np.array([i not in bad for i in ids], bool)
    return ids[keep], vec[keep]


def _log(db: Database, action: str, payload: dict) -> None:
    db.execute("INSERT INTO history (at, action, payload) VALUES (?, ?, ?)", [now(), action, json.dumps(payload)])


def _snapshot(db: Database, face_ids: list[int]) -> list:
    q = ",".join("?" * len(face_ids))
    return db.execute(f"SELECT face_id, person_id, source, score FROM face_assignments WHERE face_id IN ({q})",
                      face_ids).fetchall()


def recluster(db: Database, strictness: float, should_stop) -> dict:  # noqa: ANN001
    ids, vec = _vectors(db)
    thr = 0.30 + 0.25 * strictness
    fixed = dict(db.execute("SELECT face_id, person_id FROM face_assignments WHERE source != 'cluster'").fetchall())
    rejected = set(db.execute("SELECT face_id, person_id FROM face_rejections").fetchall())
    parent = list(range(len(ids)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    sims = vec @ vec.T if len(ids) else np.zeros((0, 0))
    for i, j in zip(*np.nonzero(np.triu(sims > thr, 1)), strict=False):
        if int(ids[i]) in fixed and int(ids[j]) in fixed and fixed[int(ids[i])] != fixed[int(ids[j])]:
            continue
        parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(ids)):
        groups.setdefault(find(i), []).append(int(ids[i]))
    with transaction(db):
        db.execute("DELETE FROM face_assignments WHERE source = 'cluster'")
        for members in groups.values():
            owners = [fixed[f] for f in members if f in fixed]
            pid = max(set(owners), key=owners.count) if owners else None
            for f in members:
                if f in fixed:
                    continue
                if pid is None or (f, pid) in rejected:
                    pid = db.execute("INSERT INTO persons (created_at) VALUES (?)", [now()]).lastrowid
                db.execute("INSERT INTO face_assignments (face_id, person_id, source, updated_at) VALUES (?,?,?,?)",
                           [f, pid, "cluster", now()])
        db.execute("DELETE FROM persons WHERE name IS NULL AND id NOT IN (SELECT person_id FROM face_assignments)")
    return {"faces": len(ids), "people": len(list_people(db, True))}


def list_people(db: Database, include_hidden: bool) -> list:
    rows = db.execute(
        "SELECT p.id, p.name, p.hidden, count(a.face_id), count(DISTINCT f.photo_id), "
        "(SELECT a2.face_id FROM face_assignments a2 JOIN faces f2 ON f2.id = a2.face_id WHERE a2.person_id = p.id "
        " ORDER BY a2.source = 'confirmed' DESC, f2.quality DESC LIMIT 1) "
        "FROM persons p LEFT JOIN face_assignments a ON a.person_id = p.id LEFT JOIN faces f ON f.id = a.face_id "
        "WHERE a.face_id NOT IN (SELECT face_id FROM not_faces) GROUP BY p.id ORDER BY count(a.face_id) DESC, p.id"
    ).fetchall()
    out = [S.Person(r[0], r[1], r[1] or f"Unknown {r[0]}", r[3], r[4], r[5], bool(r[2])) for r in rows]
    return [p for p in out if include_hidden or not p.hidden]


def person_faces(db: Database, person_id: int) -> list:
    rows = db.execute(
        "SELECT f.id, f.photo_id, ph.path, a.person_id, a.source, a.score FROM face_assignments a "
        "JOIN faces f ON f.id = a.face_id JOIN photos ph ON ph.id = f.photo_id "
        "WHERE a.person_id = ? AND f.id NOT IN (SELECT face_id FROM not_faces) ORDER BY f.id", [person_id]).fetchall()
    return [S.Face(*r) for r in rows]


def rename(db: Database, person_id: int, name: str | None) -> None:
    with transaction(db):
        old = db.execute("SELECT name FROM persons WHERE id = ?", [person_id]).fetchone()[0]
        db.execute("UPDATE persons SET name = ? WHERE id = ?", [name, person_id])
        _log(db, "rename", {"person": person_id, "name": old})


def move(db: Database, face_ids: list[int], person_id: int, source: str, action: str = "move") -> None:
    with transaction(db):
        _log(db, action, {"assign": _snapshot(db, face_ids), "faces": face_ids})
        for f in face_ids:
            db.execute("INSERT OR REPLACE INTO face_assignments (face_id, person_id, source, updated_at) "
                       "VALUES (?,?,?,?)", [f, person_id, source, now()])


def merge(db: Database, into: int, other: int) -> None:
    move(db, [f.id for f in person_faces(db, other)], into, "user", "merge")


def split(db: Database, face_ids: list[int]) -> int:
    with transaction(db):
        pid = db.execute("INSERT INTO persons (created_at) VALUES (?)", [now()]).lastrowid
        move(db, face_ids, pid, "user", "split")
    return int(pid)


def reject(db: Database, face_ids: list[int], person_id: int) -> None:
    with transaction(db):
        _log(db, "reject", {"assign": _snapshot(db, face_ids), "faces": face_ids, "rejected": person_id})
        for f in face_ids:
            db.execute("INSERT OR IGNORE INTO face_rejections VALUES (?,?,?)", [f, person_id, now()])
            db.execute("DELETE FROM face_assignments WHERE face_id = ? AND person_id = ?", [f, person_id])


def not_a_face(db: Database, face_ids: list[int]) -> None:
    with transaction(db):
        _log(db, "not_a_face", {"assign": _snapshot(db, face_ids), "faces": face_ids, "notface": True})
        for f in face_ids:
            db.execute("INSERT OR IGNORE INTO not_faces VALUES (?, ?)", [f, now()])


def set_hidden(db: Database, person_id: int, hidden: bool) -> None:
    with transaction(db):
        db.execute("UPDATE persons SET hidden = ? WHERE id = ?", [int(hidden), person_id])
        _log(db, "hide", {"person": person_id, "hidden": not hidden})


def undo(db: Database) -> str | None:
    row = db.execute("SELECT id, action, payload FROM history WHERE undone = 0 ORDER BY id DESC LIMIT 1").fetchone()
    if not row:
        return None
    hid, action, p = row[0], row[1], json.loads(row[2])
    with transaction(db):
        if action == "rename":
            db.execute("UPDATE persons SET name = ? WHERE id = ?", [p["name"], p["person"]])
        elif action == "hide":
            db.execute("UPDATE persons SET hidden = ? WHERE id = ?", [int(p["hidden"]), p["person"]])
        else:
            for f in p["faces"]:
                db.execute("DELETE FROM face_assignments WHERE face_id = ?", [f])
                if p.get("notface"):
                    db.execute("DELETE FROM not_faces WHERE face_id = ?", [f])
                if "rejected" in p:
                    db.execute("DELETE FROM face_rejections WHERE face_id = ? AND person_id = ?", [f, p["rejected"]])
            for a in p["assign"]:
                db.execute("INSERT INTO face_assignments (face_id, person_id, source, score, updated_at) "
                           "VALUES (?,?,?,?,?)", [*a, now()])
        db.execute("UPDATE history SET undone = 1 WHERE id = ?", [hid])
    return action


def _centroids(db: Database) -> dict[int, np.ndarray]:
    ids, vec = _vectors(db)
    pos = {int(f): i for i, f in enumerate(ids)}
    out: dict[int, list] = {}
    for f, p in db.execute("SELECT face_id, person_id FROM face_assignments").fetchall():
        if f in pos:
            out.setdefault(p, []).append(vec[pos[f]])
    return {p: (m := np.mean(v, 0)) / max(np.linalg.norm(m), 1e-9) for p, v in out.items()}


def merge_suggestions(db: Database, person_id: int, limit: int) -> list:
    c = _centroids(db)
    if person_id not in c:
        return []
    people = {p.id: p for p in list_people(db, True)}
    scored = sorted(((float(c[person_id] @ v), p) for p, v in c.items() if p != person_id and p in people), reverse=True)
    return [(people[p], s) for s, p in scored[:limit]]


def review_queue(db: Database, limit: int) -> list:
    c = _centroids(db)
    ids, vec = _vectors(db)
    pos = {int(f): i for i, f in enumerate(ids)}
    labels = {p.id: p.label for p in list_people(db, True)}
    rows = db.execute("SELECT face_id, person_id FROM face_assignments WHERE source = 'cluster'").fetchall()
    items = [S.ReviewItem(f, p, labels.get(p, "?") + "?", float(vec[pos[f]] @ c[p])) for f, p in rows
             if f in pos and p in c and len(person_faces(db, p)) > 1]
    return sorted(items, key=lambda it: it.score)[:limit]


def photo_faces(db: Database, photo_id: int) -> list:
    rows = db.execute(
        "SELECT f.id, f.x, f.y, f.w, f.h, p.name, p.id FROM faces f LEFT JOIN face_assignments a ON a.face_id = f.id "
        "LEFT JOIN persons p ON p.id = a.person_id WHERE f.photo_id = ? AND f.id NOT IN (SELECT face_id FROM not_faces)",
        [photo_id]).fetchall()
    return [S.BoxedFace(r[0], (r[1], r[2], r[3], r[4]), r[5] or (f"Unknown {r[6]}" if r[6] else "?")) for r in rows]


def _verdict(db: Database, score: float, far: str | None) -> object:
    th = S.thresholds(db)
    if far is None or far not in th:
        far = "1e-3" if "1e-3" in th else next(iter(th), None)
    thr = th.get(far, 0.363) if far else 0.363
    return S.Verdict(score, score >= thr, thr, float(far) if far else None)


def verify_faces(db: Database, a: int, b: int, far: str | None) -> object:
    ids, vec = _vectors(db)
    pos = {int(f): i for i, f in enumerate(ids)}
    return _verdict(db, float(vec[pos[a]] @ vec[pos[b]]), far)


def verify_photos(db: Database, pa: str, pb: str, far: str | None, device: str) -> object:
    from faceapp.jobs.embed_files import embed_files
    from faceapp.jobs.models import embedder_for

    emb, found = embed_files([pa, pb], embedder_for(ensure_active_model(db), device=device))
    if not found.all():
        missing = [p for p, ok in zip([pa, pb], found, strict=True) if not ok]
        raise ValueError(f"no face found in {', '.join(missing)}")
    return _verdict(db, float(emb[0] @ emb[1]), far)


def export(db: Database, out_dir: str, what: str, person_ids: list[int] | None, mode: str) -> dict:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    people = [p for p in list_people(db, True) if person_ids is None or p.id in person_ids]
    rows = [{"person": p.label, "person_id": p.id, "face_id": f.id, "photo": f.path}
            for p in people for f in person_faces(db, p.id)]
    if what == "albums":
        n = 0
        for p in people:
            d = out / p.label
            d.mkdir(exist_ok=True)
            for path in sorted({f.path for f in person_faces(db, p.id)}):
                dst = d / Path(path).name
                if not dst.exists():
                    os.symlink(path, dst) if mode == "link" else shutil.copy2(path, dst)
                    n += 1
        return {"files": n, "albums": len(people)}
    if what == "json":
        (out / "faces.json").write_text(json.dumps(rows, indent=1))
    else:
        with open(out / "faces.csv", "w", newline="") as fh:
            w = csv.DictWriter(fh, ["person", "person_id", "face_id", "photo"])
            w.writeheader()
            w.writerows(rows)
    return {"rows": len(rows)}


class _Stopped(Exception):
    """Raised from the progress callback to stop the trainer's loop at the next step."""


def _figures(ev: dict) -> dict:
    v, c = ev["verification"], ev["clustering"]
    return {"TAR @ FAR 1e-3": v["tar_at_far1e-3"], "10-fold accuracy": v["tenfold_accuracy"],
            "BCubed F": c["bcubed_f"], "NMI": c["nmi"]}


def train(db: Database, source: str, loss: str, epochs: int, device: str, out_dir: str, progress, should_stop):  # noqa: ANN001
    """Interim composition of the trainer's public pieces (data → engine → evaluate → export)."""
    from faceapp.core.embed import Embedder
    from trainer.config import TrainConfig
    from trainer.data.albums import load_albums
    from trainer.data.library import load_library
    from trainer.engine import train as run
    from trainer.evaluate import calibrate, evaluate, write_report
    from trainer.export import export_model, model_metadata, new_model_id
    from trainer.features import embed_crops

    say = progress or (lambda *a: None)
    say(0, 1, "Gathering training faces…")
    if source == "library":
        data = load_library(db, confirmed_only=False)
    else:
        data = load_albums(source, progress=lambda d, t: say(d, t, "Finding the faces in the albums…"))
    if data.num_classes < 2 or len(data) < 6:
        raise ValueError("training needs at least two named people with two or more faces each")
    train_set, held = data.split_photos(0.75)

    def on_progress(p) -> None:  # noqa: ANN001
        if should_stop and should_stop():
            raise _Stopped
        say(p.step, p.steps, f"{p.stage}: step {p.step}/{p.steps}, loss {p.loss:.3f}")

    cfg = TrainConfig(loss=loss, epochs=epochs, device=device, out_dir=out_dir)
    try:
        result = run(cfg, train_set, held, progress=on_progress)
    except _Stopped:
        raise RuntimeError("training cancelled") from None
    base = Embedder(ensure_active_model(db)["path"], device="cpu")
    thresholds = calibrate(embed_crops(result.net, data.crops), data.labels)
    # A small library leaves too few held-out pairs for the figures; then all faces are scored (optimistic).
    genuine = sum(int(n) * (int(n) - 1) // 2 for n in np.bincount(held.labels))
    ev = held if genuine >= 10 else data
    before = evaluate(base.embed(ev.crops), ev.labels, calibrate(base.embed(data.crops), data.labels))
    after = evaluate(embed_crops(result.net, ev.crops), ev.labels, thresholds)
    summary = f"{len(data)} faces of {data.num_classes} people ({'library' if source == 'library' else 'albums'})"
    meta = model_metadata(new_model_id(loss, result.net), result.net.embedding_size, loss, cfg.loss_params, summary,
                          thresholds)
    path = export_model(result.net, Path(out_dir) / "model.onnx", meta)
    write_report(out_dir, {"held-out": before}, {"held-out": after}, result.history, {"model": str(path)})
    return S.TrainReport(str(path), str(Path(out_dir) / "report.json"), str(Path(out_dir) / "report.png"),
                         _figures(before), _figures(after))

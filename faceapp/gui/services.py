"""The one adapter between the GUI and the people, verify and export jobs.

Views call these functions (one per user action) and get plain dataclasses back. While a job
module has not landed yet, a small stand-in below keeps the GUI working; only this file changes
when the real function arrives. Stand-ins are marked STANDIN.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database


def _real(module: str, name: str) -> Callable | None:
    """The real job function when its module provides it, else None (→ the stand-in)."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


@dataclass
class Person:
    id: int
    name: str | None
    label: str  # the name, or "Unknown N"
    faces: int
    photos: int
    rep_face: int | None  # the face shown on the person's tile
    hidden: bool = False


@dataclass
class Face:
    id: int
    photo_id: int
    path: str
    person_id: int | None
    source: str  # cluster | confirmed | user | …
    score: float | None = None


@dataclass
class ReviewItem:
    face_id: int  # the face asked about (for a merge question: a face of the other person)
    person_id: int
    label: str  # the caption under the face
    score: float
    kind: str = "uncertain"  # merge | uncertain | suggest | outlier
    text: str = ""  # the question in words
    raw: object = None  # the people module's own item, handed back to accept/reject


@dataclass
class BoxedFace:
    face_id: int
    box: tuple[float, float, float, float]  # x, y, w, h in photo pixels
    label: str


@dataclass
class Verdict:
    score: float
    same: bool
    threshold: float
    far: float | None  # the false-accept rate the threshold stands for
    far_at_score: float | None = None  # the rate this score itself would stand for, when known


from faceapp.gui import _standin as _s  # noqa: E402  (the stand-ins need the dataclasses above)

Progress = Callable[..., None] | None
Stop = Callable[[], bool] | None


def _people():
    """faceapp.jobs.people when it is there; all people actions then go through it (one history)."""
    try:
        return importlib.import_module("faceapp.jobs.people")
    except ImportError:
        return None


def _far_for(strictness: float) -> str:
    """Clustering strictness → the false-accept rate whose calibrated threshold links faces."""
    return "1e-2" if strictness < 0.34 else "1e-3" if strictness < 0.67 else "1e-4"


def recluster(db: Database, strictness: float = 0.5, progress: Progress = None, should_stop: Stop = None) -> dict:
    P = _people()
    if P is None:
        return _s.recluster(db, strictness, should_stop)
    if thresholds(db):
        return P.recluster(db, far=_far_for(strictness)).as_dict()
    # An uncalibrated model: OpenCV's published SFace cosine threshold, nudged by strictness.
    return P.recluster(db, threshold=0.363 + 0.1 * (strictness - 0.5)).as_dict()


def list_people(db: Database, include_hidden: bool = False) -> list[Person]:
    P = _people()
    if P is None:
        return _s.list_people(db, include_hidden)
    return [Person(p.id, p.name, p.name or f"Unknown {p.id}", p.faces, p.photos, p.cover_face, bool(p.hidden))
            for p in P.list_people(db, include_hidden=include_hidden)]


def person(db: Database, person_id: int) -> Person | None:
    return next((p for p in list_people(db, True) if p.id == person_id), None)


def person_faces(db: Database, person_id: int) -> list[Face]:
    P = _people()
    if P is None:
        return _s.person_faces(db, person_id)
    return [Face(f.id, f.photo_id, f.path, f.person_id, f.source or "", f.score) for f in P.person_faces(db, person_id)]


def unsorted_faces(db: Database) -> list[Face]:
    """Faces in no person yet (too few like them, or taken out by "not this person")."""
    P = _people()
    if P is None:
        return []
    return [Face(f.id, f.photo_id, f.path, None, "", f.score) for f in P.unsorted_faces(db)]


def rename(db: Database, person_id: int, name: str) -> None:
    P = _people()
    if P is None:
        return _s.rename(db, person_id, name.strip() or None)
    P.name_person(db, person_id, name.strip() or None)


def merge(db: Database, into: int, other: int) -> None:
    P = _people()
    if P is None:
        return _s.merge(db, into, other)
    P.merge_people(db, into, [other])


def split(db: Database, person_id: int, face_ids: list[int]) -> int:
    P = _people()
    return _s.split(db, face_ids) if P is None else P.split_person(db, person_id, face_ids)


def confirm(db: Database, face_ids: list[int], person_id: int) -> None:
    P = _people()
    if P is None:
        return _s.move(db, face_ids, person_id, "confirmed", "confirm")
    P.confirm_faces(db, face_ids, person_id)


def move(db: Database, face_ids: list[int], person_id: int) -> None:
    """Put faces in another person: a confirmation as that person."""
    P = _people()
    if P is None:
        return _s.move(db, face_ids, person_id, "user", "move")
    P.confirm_faces(db, face_ids, person_id)


def reject(db: Database, face_ids: list[int], person_id: int) -> None:
    P = _people()
    if P is None:
        return _s.reject(db, face_ids, person_id)
    P.reject_faces(db, face_ids, person_id)


def not_a_face(db: Database, face_ids: list[int]) -> None:
    P = _people()
    if P is None:
        return _s.not_a_face(db, face_ids)
    P.mark_not_face(db, face_ids)


def set_hidden(db: Database, person_id: int, hidden: bool) -> None:
    P = _people()
    if P is None:
        return _s.set_hidden(db, person_id, hidden)
    P.hide_person(db, person_id, hidden)


def undo(db: Database) -> str | None:
    """What was undone, in words, or None when there is nothing to undo."""
    P = _people()
    if P is None:
        return _s.undo(db)
    done = P.undo(db)
    return None if done is None else str(done.get("summary") or done.get("action"))


def merge_suggestions(db: Database, person_id: int, limit: int = 5) -> list[tuple[Person, float]]:
    """The people whose mean face is closest to this person's, most similar first. Means, not the
    people module's multi-prototypes: this runs each time a person is opened, and prototypes of
    100,000 faces take seconds."""
    if _people() is None:
        return _s.merge_suggestions(db, person_id, limit)
    import numpy as np

    from faceapp.jobs.recluster import library_vectors
    from faceapp.storage.people import assignments

    people = {p.id: p for p in list_people(db, True)}
    ids, x = library_vectors(db)
    owner = assignments(db)
    own = np.array([owner[f][0] if f in owner and owner[f][0] in people else -1 for f in ids.tolist()], np.int64)
    keep = own >= 0
    if not (own == person_id).any():
        return []
    order = np.argsort(own[keep], kind="stable")
    groups, starts = np.unique(own[keep][order], return_index=True)
    means = np.add.reduceat(x[keep][order], starts, axis=0)
    means /= np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
    sims = means @ means[np.searchsorted(groups, person_id)]
    best = [(float(s), int(p)) for s, p in zip(sims.tolist(), groups.tolist(), strict=True) if p != person_id]
    best.sort(reverse=True)
    return [(people[p], s) for s, p in best[:limit]]


def review_queue(db: Database, limit: int = 200) -> list[ReviewItem]:
    """The clicks that fix the most, first. An uncalibrated model gets the stand-in's simpler queue."""
    fn = _real("faceapp.jobs.review", "review_queue")
    if fn is None or not thresholds(db):
        return _s.review_queue(db, limit)
    people = {p.id: p for p in list_people(db, True)}
    out = []
    for it in fn(db, limit=limit):
        face = it.face_id
        if face is None:  # a merge question: show the other person's face
            other = people.get(it.other_person_id)
            face = other.rep_face if other else None
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
        out.append(ReviewItem(face, it.person_id, caption.get(it.kind, f"{label}?"), float(it.score), it.kind,
                              question.get(it.kind, it.text), it))
    return out


def accept_all(db: Database, items: list[ReviewItem]) -> None:
    fn = _real("faceapp.jobs.review", "accept_items")
    if fn is not None and all(it.raw is not None for it in items):
        fn(db, [it.raw for it in items])
        return
    for person_id in sorted({it.person_id for it in items}):
        confirm(db, [it.face_id for it in items if it.person_id == person_id], person_id)


def reject_all(db: Database, items: list[ReviewItem]) -> None:
    fn = _real("faceapp.jobs.review", "reject_items")
    if fn is not None and all(it.raw is not None for it in items):
        fn(db, [it.raw for it in items])
        return
    for person_id in sorted({it.person_id for it in items}):
        reject(db, [it.face_id for it in items if it.person_id == person_id], person_id)


def photo_faces(db: Database, photo_id: int) -> list[BoxedFace]:
    P = _people()
    if P is None:
        return _s.photo_faces(db, photo_id)
    labels = {p.id: p.label for p in list_people(db, True)}
    return [BoxedFace(f.id, f.box, labels.get(f.person_id, "unsorted") if f.person_id else "unsorted")
            for f in P.photo_faces(db, photo_id)]


def all_faces(db: Database) -> list[Face]:
    """Every face in the library (for pickers), without people."""
    from faceapp.storage.faces import face_rows

    return [Face(r["id"], r["photo_id"], r["path"], None, "") for r in face_rows(db)]


def thresholds(db: Database) -> dict[str, float]:
    """The active model's calibrated cosine thresholds by false-accept rate, e.g. {"1e-3": 0.36};
    empty for an uncalibrated model."""
    fn = _real("faceapp.jobs.verify", "model_thresholds")
    if fn is None:
        from faceapp.jobs.models import ensure_active_model

        return dict(ensure_active_model(db)["metadata"].get("thresholds") or {})
    try:
        return fn(db)
    except ValueError:
        return {}


def _verify(db: Database, a: int | str, b: int | str, far: str | None, device: str) -> Verdict:
    fn = _real("faceapp.jobs.verify", "verify")
    th = thresholds(db)
    if fn is None or not th:
        if isinstance(a, str):
            return _s.verify_photos(db, a, str(b), far, device)
        return _s.verify_faces(db, int(a), int(b), far)
    far = far if far in th else ("1e-3" if "1e-3" in th else sorted(th)[0])
    v = fn(db, a, b, far=far, device=device)
    return Verdict(v.similarity, v.same, v.threshold, float(v.far), v.far_at_similarity)


def verify_faces(db: Database, face_a: int, face_b: int, far: str | None = None) -> Verdict:
    return _verify(db, int(face_a), int(face_b), far, "cpu")


def verify_photos(db: Database, photo_a: str, photo_b: str, far: str | None = None, device: str = "auto",
                  progress: Progress = None, should_stop: Stop = None) -> Verdict:
    """Inference: call from a worker. The largest face of each photo is compared."""
    return _verify(db, str(photo_a), str(photo_b), far, device)


def export(db: Database, out_dir: str | None, what: str, person_ids: list[int] | None = None, mode: str = "copy",
           progress: Progress = None, should_stop: Stop = None) -> dict:
    """what: albums (mode copy | hardlink | symlink) | csv | json | xmp (out_dir None: beside the photos).
    Runs in a worker: copying a big album takes a while."""
    E = _real("faceapp.jobs.export", "export_albums") and importlib.import_module("faceapp.jobs.export")
    if not E:
        return _s.export(db, out_dir or ".", what, person_ids, "link" if mode == "symlink" else mode)
    if what == "albums":
        r = E.export_albums(db, out_dir, mode=mode, person_ids=person_ids)
    elif what in ("csv", "json"):
        r = E.export_table(db, str(Path(out_dir or ".") / f"faces.{what}"), fmt=what, person_ids=person_ids)
    elif what == "xmp":
        r = E.export_xmp(db, person_ids=person_ids, out_dir=out_dir)
    else:
        raise ValueError(f"unknown export {what!r}")
    return {"written": r.written, "skipped": r.skipped, "people": r.people, "into": r.out,
            "errors": len(r.errors)}


# -- improving recognition (the trainer is imported lazily, inside the worker) ---------------------

LOSS_HELP: dict[str, str] = {
    "arcface": "Adds a margin to the angle between a face and its person (insightface's default): the usual first choice.",
    "cosface": "Subtracts a fixed margin from the cosine to the right person: simple, stable, widely used.",
    "adacos": "A cosine loss that tunes its own scale while it trains: the fewest knobs.",
    "sphereface": "Multiplies the angle to the right person (A-Softmax): a strong margin, but harder to train.",
    "normsoftmax": "Softmax on normalised faces and weights: compares by angle only, a sturdy baseline.",
    "softmax": "A plain classifier with cross-entropy: the baseline, with no margin between people.",
    "center": "Pulls each face towards its person's centre while a classifier keeps people apart: tighter groups.",
    "triplet": "A face must be closer to another of the same person than to anyone else, by a margin (FaceNet).",
    "contrastive": "Pulls pairs of one person together and pushes different people beyond a margin.",
}


@dataclass
class TrainReport:
    model_path: str  # the new ONNX file
    report_json: str | None
    roc_png: str | None
    before: dict  # metrics of the current model on the held-out faces
    after: dict  # metrics of the new model


_GPU_PROBE = """
try:
    import torch
except ImportError:
    print("none")
else:
    print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu")
"""


def gpu_info() -> str:
    """One line on what training can run on. Asks a child process: importing torch in this process
    would hold the GIL (and so freeze the window) for a third of a second."""
    import subprocess
    import sys

    try:
        out = subprocess.run([sys.executable, "-c", _GPU_PROBE], capture_output=True, text=True, timeout=120)
        answer = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else "none"
    except (OSError, subprocess.SubprocessError):
        answer = "none"
    if answer == "none":
        return "PyTorch is not installed: training is unavailable (pip install 'faceapp[train]')"
    if answer == "cpu":
        return "No GPU found: training runs on the CPU (slower)"
    return f"GPU found: {answer}"


def train(db: Database, source: str, loss: str, epochs: int, device: str, out_dir: str,
          progress: Progress = None, should_stop: Stop = None) -> TrainReport:
    """Fine-tune the active model on the library's named people (source="library": every face they
    hold, confirmed or not) or on an album folder (a folder per person) → a new ONNX file and a
    before/after report. Heavy: the GUI runs it in a child process (faceapp.gui.train_process)."""
    run = _real("trainer.pipeline", "run_finetune")
    if run is None:
        return _s.train(db, source, loss, epochs, device, out_dir, progress, should_stop)
    from trainer.config import TrainConfig

    say = progress or (lambda *a: None)
    say(0, 1, "Gathering the training faces…")
    if source == "library":
        from trainer.data.library import load_library

        data, what = load_library(db, confirmed_only=False), "library"
    else:
        from trainer.data.albums import load_albums

        data = load_albums(source, progress=lambda d, t: say(d, t, "Finding the faces in the albums…"))
        what = f"albums {Path(source).name}"

    def on_progress(p) -> None:  # noqa: ANN001  (trainer.progress.Progress)
        if should_stop and should_stop():
            raise RuntimeError("training cancelled")
        say(p.step, p.steps, f"{p.stage}: step {p.step}/{p.steps}, loss {p.loss:.3f}")

    cfg = TrainConfig(loss=loss, epochs=epochs, device=device)
    try:
        report = run(data, cfg, out_dir, what, log=lambda text: say(text), progress=on_progress)
    except ValueError as exc:
        raise ValueError(f"{exc}. Training needs more faces: name more people, each with five or more faces "
                         "(a fifth of them are kept aside to measure before and after)") from exc
    out = Path(out_dir)
    return TrainReport(report["model_path"], str(out / "report.json"), str(out / "report.png"),
                       _figures(report["before"]["heldout"]), _figures(report["after"]["heldout"]))


def _figures(ev: dict) -> dict:
    v, c = ev["verification"], ev["clustering"]
    return {"TAR @ FAR 1e-3": v["tar_at_far1e-3"], "10-fold accuracy": v["tenfold_accuracy"],
            "BCubed F": c["bcubed_f"], "NMI": c["nmi"]}


def models(db: Database) -> list[dict]:
    from faceapp.storage import models as model_store

    return model_store.list_models(db)


def activate_model(db: Database, model_row: int, device: str = "auto", strictness: float = 0.5,
                   progress: Progress = None, should_stop: Stop = None) -> dict:
    """Make a registered model active again (embedding any faces it lacks), then re-cluster."""
    from faceapp.jobs.reembed import reembed
    from faceapp.storage import models as model_store

    reembed(db, model_row, device=device, progress=progress, should_stop=should_stop)
    if should_stop and should_stop():
        return {"cancelled": True}
    model_store.set_active(db, model_row)
    return {"model": model_row, "people": recluster(db, strictness, progress, should_stop)}


def accept_model(db: Database, onnx_path: str, device: str = "auto", strictness: float = 0.5,
                 progress: Progress = None, should_stop: Stop = None) -> dict:
    """Register the trained model, embed every stored crop with it, make it active, re-cluster.
    Every user decision is a row of its own, so re-clustering keeps them all."""
    from faceapp.jobs.reembed import switch_model

    row = switch_model(db, onnx_path, device=device, progress=progress, should_stop=should_stop)
    if row is None:
        return {"cancelled": True}
    return {"model": row, "people": recluster(db, strictness, progress, should_stop)}

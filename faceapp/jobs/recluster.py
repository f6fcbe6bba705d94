"""Re-cluster the library without losing a decision, and place new faces by prototypes.

Both plan outside the write lock and write inside it, re-reading there every decision made
meanwhile (by this process or another): a plan never fails on one, nor overrides it.

`recluster` reads every decision as a constraint (faceapp.core.cluster): faces the user put in a
person stay there and pull nothing of another person's; rejected pairs and not-a-face marks are
honoured; named people never merge with each other; one photo gives a person at most one face.
Clusters then map onto existing people by the majority of their faces' previous proposals, so
names, hidden flags and merges carry over; the rest become new unnamed people, and faces in no
cluster are unsorted.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TypeVar

import numpy as np
from sqlite_utils import Database

from faceapp.core.cluster import (
    DEFAULT_FAR,
    ClusterParams,
    Constraints,
    cluster,
    refine_threshold_from_calibration,
    threshold_from_calibration,
)
from faceapp.core.knn import top2_by_group
from faceapp.core.prototypes import group_prototypes
from faceapp.jobs.verify import model_thresholds
from faceapp.progress import ProgressFn, StopFn, report
from faceapp.storage import decisions
from faceapp.storage import people as store
from faceapp.storage.faces import embeddings
from faceapp.storage.tx import transaction
from faceapp.types import FarKey

T = TypeVar("T")
R = TypeVar("R")
DEFAULT_MARGIN = 0.05  # best person must beat the runner-up by this much cosine
# A new face is compared with every person's prototypes at once, so it meets far more impostors than
# one pair does. `faceapp bench assign ../shared/data/celeba_dev --strangers ../shared/data/lfw_extra`
# (dev half; 600 one-photo strangers scanned into the named library): at FAR 1e-3, 7.6 % of the
# strangers' faces joined someone (3.3 % a named person); at 1e-4, 2.0 % (0.5 %), while new faces of
# known people joined their own person as often (384 of 411 against 385) and a wrong one less (12, 16).
# The test half: strangers 9.8 % (4.7 %) → 2.6 % (1.3 %), own person 345 of 370 at both.
ASSIGN_FAR: FarKey = "1e-4"


@dataclass
class ReclusterStats:
    faces: int
    clusters: int
    people_kept: int  # existing people that received a cluster
    people_new: int
    people_removed: int  # unnamed people left empty, without decisions
    unsorted: int
    decided: int  # faces held in place by a decision
    threshold: float
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class AssignStats:
    candidates: int
    assigned: int
    waiting: int
    threshold: float
    margin: float
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def library_vectors(db: Database) -> tuple[np.ndarray, np.ndarray]:
    """(face ids, embeddings) of the active model, not-a-face marks left out."""
    from faceapp.jobs.models import ensure_active_model

    m = ensure_active_model(db)
    ids, x = embeddings(db, m["id"], (m.get("metadata") or {}).get("embedding_size"))
    bad = store.not_faces(db)
    if bad and len(ids):
        keep = ~np.isin(ids, np.fromiter(bad, np.int64))
        ids, x = ids[keep], x[keep]
    return ids, x


def model_far_curve(db: Database) -> list[list[float]]:
    """The active model's calibrated [[FAR, cosine], ...] points, read as `faceapp verify` reads them:
    its own metadata, else the calibration shipped for its model id (none for a trained model)."""
    from faceapp.jobs.models import ensure_active_model, shipped_calibration

    m = ensure_active_model(db)
    curve = (m.get("metadata") or {}).get("far_curve") or shipped_calibration(m["model_id"]).get("far_curve") or []
    return [[float(f), float(t)] for f, t in curve]


class ReclusterCancelled(Exception):
    """Raised by `recluster` when `stop()` turned true between two stages; nothing was written."""


STAGE = "clustering"  # the Progress stage of a re-cluster; done/total count STEPS, text says which in words
STEPS = {"reading": "reading faces", "neighbours": "finding look-alikes", "linking": "linking faces",
         "refining": "checking each face", "chance": "checking lone pairs", "labels": "naming groups",
         "writing": "saving", "done": "done"}  # faceapp.core.cluster's stages between reading and writing


def _stepper(progress: ProgressFn | None, stop: StopFn | None) -> Callable[[str], None]:
    """core.cluster's `step(name)` as Progress; a stop request between steps raises ReclusterCancelled.
    `done` never goes back (a plan redone because a decision came in meanwhile reads again)."""
    order, last = list(STEPS), [0]

    def step(name: str) -> None:
        if stop is not None and stop():
            raise ReclusterCancelled
        last[0] = max(last[0], order.index(name) if name in STEPS else 0)
        report(progress, STAGE, last[0], len(order) - 1, STEPS.get(name, name))

    return step


def recluster(db: Database, far: FarKey = DEFAULT_FAR, min_size: int = 2, threshold: float | None = None,
              progress: ProgressFn | None = None, stop: StopFn | None = None) -> ReclusterStats:
    """Re-cluster the active model's faces. Progress: stage "embedding" when faces need it, then
    "clustering" through STEPS (reading, the clustering's own steps, writing, done). When `stop()`
    turns true between steps it raises ReclusterCancelled before any assignment is written. Faces
    the active model has no embedding for (a scan that ran through a model switch, a malformed
    vector) are embedded from their stored crops first; those embeddings are kept even when
    stopped later."""
    from faceapp.jobs.reembed import embed_missing

    t0 = time.perf_counter()
    step = _stepper(progress, stop)
    embed_missing(db, progress=progress, stop=stop)
    th = model_thresholds(db) if threshold is None else {}
    t = threshold if threshold is not None else threshold_from_calibration(th, far)
    refine_t = refine_threshold_from_calibration(th, far) if th else None  # none when the threshold is given
    curve = model_far_curve(db) if th else None

    def plan():
        step("reading")
        ids, x = library_vectors(db)
        prev = store.assignments(db)
        named = {p.id for p in store.list_persons(db, include_hidden=True) if p.name}
        photo_of = store.face_photos(db)
        fixed = np.array([prev[f][0] if f in prev and prev[f][1] in store.DECIDED else -1 for f in ids.tolist()], np.int64)
        group = np.array([prev[f][0] if f in prev and prev[f][0] in named else -1 for f in ids.tolist()], np.int64)
        rej = store.rejections(db)
        pos = {f: i for i, f in enumerate(ids.tolist())}
        cons = Constraints(photo=[photo_of[f] for f in ids.tolist()], fixed=fixed, group=group,
                           rejected={pos[f]: ps for f, ps in rej.items() if f in pos})
        res = cluster(x, ClusterParams(threshold=t, min_size=min_size, refine=refine_t, far_curve=curve), cons, step)
        step("writing")
        return ids, res, fixed

    def write(p):
        ids, res, fixed = p
        rows, kept, new_people = _map_clusters(db, ids, res, fixed, _Now.read(db))
        store.replace_proposals(db, rows)
        removed = store.delete_empty_people(db, store.persons_with_decisions(db))
        store.drop_prototypes(db)
        return ids, res, rows, kept, new_people, removed, fixed

    ids, res, rows, kept, new_people, removed, fixed = write_if_unchanged(db, plan, write)
    person_prototypes(db)  # rebuilt once here, read by every incremental assignment until the next change
    report(progress, STAGE, len(STEPS) - 1, len(STEPS) - 1, STEPS["done"])
    return ReclusterStats(
        faces=len(ids), clusters=int(res.labels.max() + 1) if len(ids) else 0, people_kept=kept,
        people_new=new_people, people_removed=removed, unsorted=int(len(ids) - len(rows) - int((fixed >= 0).sum())),
        decided=int((fixed >= 0).sum()), threshold=t, seconds=time.perf_counter() - t0,
    )


def write_if_unchanged(db: Database, plan: Callable[[], T], write: Callable[[T], R], retries: int = 1) -> R:
    """Plan outside the write lock (the user goes on deciding while a big library clusters), and
    write the plan if no decision came in meanwhile, else plan again; the last plan is written
    whatever came in: `write` runs inside the write transaction (BEGIN IMMEDIATE) and re-reads there
    every decision it must not override. Nothing ever plans under the lock, so no user action waits
    for a whole clustering."""
    for attempt in range(retries + 1):
        seen = decisions.version(db)
        planned = plan()
        with transaction(db):
            if attempt == retries or decisions.version(db) == seen:
                return write(planned)
    raise AssertionError("unreachable: the last try always writes")


@dataclass
class _Now:
    """What decisions say at write time (read inside the write transaction)."""

    prev: dict  # face -> (person, source, score)
    rej: dict  # face -> persons refused
    photo_of: dict  # face -> photo, faces that still exist
    gone: set  # not-a-face marks
    names: dict  # person -> name, people that still exist

    @classmethod
    def read(cls, db: Database) -> _Now:
        return cls(store.assignments(db), store.rejections(db), store.face_photos(db), store.not_faces(db),
                   store.person_names(db))


def follows(votes: int, voters: int, size: int, home: bool) -> bool:
    """Does a cluster of `size` faces continue the person `votes` of its faces were proposed to (of
    `voters` faces proposed to anyone)? Only when that person leads the proposals, and the cluster
    is mostly that person's (half of it) or is the person's home: the cluster holding most of their
    proposed faces. One stray proposal (a scan's incremental guess) must not carry a stranger's whole
    cluster into a named person; a person's own faces with many new ones of them stay that person."""
    return votes * 2 >= voters and (votes * 2 >= size or home)


def _homes(votes: list[Counter], sizes: list[int]) -> dict[int, int]:
    """person -> index of the cluster holding most of their proposed faces (a tie: the cluster they
    are the larger share of); `votes`: each cluster's proposals by person, `sizes`: its faces."""
    best: dict[int, tuple[tuple[int, float], int]] = {}
    for k, (c, size) in enumerate(zip(votes, sizes, strict=True)):
        for p, n in c.items():
            if p not in best or (n, n / size) > best[p][0]:
                best[p] = ((n, n / size), k)
    return {p: k for p, (_, k) in best.items()}


def _map_clusters(db: Database, ids: np.ndarray, res, fixed: np.ndarray, now: _Now) -> tuple[list, int, int]:
    """Cluster -> person (the person its faces decided when it was planned are in now, else the
    majority of its faces' current proposals when those are half of the cluster or it is that
    person's home cluster (`follows`), else a new one); rows to write. Everything is judged
    on `now`, so a decision made while the clustering ran (a merge, a deleted person, a confirm, a
    rejection, a not-a-face, a face gone with its photo) is honoured, never overridden; a face
    decided meanwhile keeps its decision and steers nothing."""
    prev, rej, photo_of, existing = now.prev, now.rej, now.photo_of, now.names
    named = {p for p, n in existing.items() if n}
    labels = res.labels
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.r_[True, labels[order][1:] != labels[order][:-1], True])
    clusters = [order[bounds[i] : bounds[i + 1]] for i in range(len(bounds) - 1)]
    clusters = [c for c in clusters if len(c) and labels[c[0]] >= 0]
    clusters.sort(key=len, reverse=True)
    taken_photos: dict[int, set[int]] = {}
    for f, (p, src, _) in prev.items():
        if src in store.DECIDED:
            taken_photos.setdefault(p, set()).add(photo_of.get(f))
    proposed = [Counter(prev[f][0] for f in ids[members].tolist()
                        if f in prev and prev[f][1] in store.PROPOSED and prev[f][0] in existing)
                for members in clusters]  # each cluster's proposals by person, counted once
    home = _homes(proposed, [len(m) for m in clusters])
    rows, kept, new_people = [], set(), 0
    for k, members in enumerate(clusters):
        fids = ids[members].tolist()
        person = None
        decided = Counter(prev[f][0] for i, f in zip(members.tolist(), fids, strict=True)
                          if fixed[i] >= 0 and f in prev and prev[f][1] in store.DECIDED)
        if decided:
            person = decided.most_common(1)[0][0]
        else:
            votes = proposed[k]
            if votes:
                cand, n = votes.most_common(1)[0]
                if follows(n, sum(votes.values()), len(fids), home.get(cand) == k):
                    person = cand
        if person is None:
            if not any(f in photo_of and f not in now.gone and prev.get(f, (None, ""))[1] not in store.DECIDED
                       for f in fids):
                continue  # every face was decided or went away meanwhile: no empty new person
            person = store.create_person(db)
            new_people += 1
        else:
            kept.add(person)
        photos = taken_photos.setdefault(person, set())
        for i, f in zip(members.tolist(), fids, strict=True):
            if f not in photo_of or f in now.gone or prev.get(f, (None, ""))[1] in store.DECIDED:
                continue
            if person in rej.get(f, ()) or photo_of[f] in photos:
                continue  # a refused pair or a second face of one photo: stays unsorted
            photos.add(photo_of[f])
            rows.append((f, person, "cluster", float(res.scores[i])))
    # A face the clustering leaves alone stays with the *named* person it was shown in: the user saw it there.
    for i in np.flatnonzero(labels < 0).tolist():
        f = int(ids[i])
        p, src, sc = prev.get(f, (None, "", None))
        if p in named and src in store.PROPOSED and f not in now.gone and p not in rej.get(f, ()) \
                and photo_of.get(f) not in taken_photos.setdefault(p, set()):
            taken_photos[p].add(photo_of[f])
            rows.append((f, p, src, float(sc or 0.0)))
    return rows, len(kept), new_people


def person_prototypes(db: Database, model: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cached prototypes of every person with faces; people without a cache entry are summarised
    now, from one read of their faces. The new entries are cached only when no other connection
    wrote in between (else they might summarise a face that left, or a person that is gone)."""
    from faceapp.jobs.models import ensure_active_model

    model = model if model is not None else ensure_active_model(db)["id"]
    mark = store.others_wrote(db)
    protos, owner = store.load_prototypes(db, model)
    have = set(owner.tolist())
    missing = [p for p in store.assigned_person_ids(db) if p not in have]
    if missing:
        ids, x, who = store.assigned_vectors(db, model, missing, nbytes=protos.shape[1] * 4 if len(protos) else None)
        if len(ids):
            new_p, new_o = group_prototypes(x, who)
            with transaction(db):
                if store.others_wrote(db) == mark:
                    store.save_prototypes(db, model, new_p, new_o.tolist(), person_ids=missing)
            protos = np.vstack([protos, new_p]) if len(protos) else new_p
            owner = np.concatenate([owner, new_o])
    return protos, owner


def assign_new(db: Database, far: FarKey = ASSIGN_FAR, margin: float = DEFAULT_MARGIN,
               threshold: float | None = None) -> AssignStats:
    """Unsorted faces join the person whose nearest prototype is close enough and clearly ahead.

    Reads only the unsorted faces' embeddings and the cached prototypes, so a million known faces
    cost nothing here. The write re-checks each placement against what decisions say then.
    """
    from faceapp.jobs.models import ensure_active_model

    t0 = time.perf_counter()
    t = threshold if threshold is not None else threshold_from_calibration(model_thresholds(db), far)
    model = ensure_active_model(db)["id"]

    def plan() -> tuple[int, list[tuple[int, int, float]]]:
        ids, x = store.unsorted_vectors(db, model)
        protos, proto_owner = person_prototypes(db, model) if len(ids) else (np.zeros((0, 0)), np.zeros(0, np.int64))
        if not len(ids) or not len(protos) or x.shape[1] != protos.shape[1]:
            return len(ids), []
        g1, s1, g2, s2 = top2_by_group(x, protos, proto_owner)
        photo_of = store.face_photos(db, ids.tolist())
        taken = store.people_in_photos(db, photo_of.values())
        rej = store.rejections(db)
        rows = []
        for f, p, s, s_2 in zip(ids.tolist(), g1.tolist(), s1.tolist(), s2.tolist(), strict=True):
            if f not in photo_of or p < 0 or s < t or s - s_2 < margin or p in rej.get(f, ()) or (p, photo_of[f]) in taken:
                continue
            taken.add((p, photo_of[f]))
            rows.append((f, p, s))
        return len(ids), rows

    def write(planned: tuple[int, list[tuple[int, int, float]]]) -> tuple[int, list[tuple[int, int, float]]]:
        """Inside the write transaction: a face placed, marked or gone meanwhile, a person merged
        away, a rejection or another face of the photo given to the person meanwhile: skipped."""
        n, rows = planned
        faces = [f for f, _, _ in rows]
        photo_of = store.face_photos(db, faces)
        placed = store.assignments_of(db, faces)
        gone = store.not_faces(db) if rows else set()
        people_now = store.person_names(db) if rows else {}
        taken = store.people_in_photos(db, photo_of.values())
        rej = store.rejections_of(db, faces)
        done = []
        for f, p, s in rows:
            if f not in photo_of or f in placed or f in gone or p not in people_now or p in rej.get(f, ()) \
                    or (p, photo_of[f]) in taken:
                continue
            taken.add((p, photo_of[f]))
            store.assign(db, f, p, "auto", s)
            done.append((f, p, s))
        return n, done

    n, rows = write_if_unchanged(db, plan, write)
    return AssignStats(n, len(rows), n - len(rows), t, margin, time.perf_counter() - t0)

"""`faceapp bench assign DIR --strangers DIR2`: how a scan's new faces join the people a library has.

A scan places each new face with a person at once (`assign_new`: the nearest prototype, a threshold
and a lead over the runner-up) and re-clusters only later. A family scans new photos with strangers
in them (a wedding, a school play), and a stranger placed with a named person shows up in that
person's album. This measures both sides on the family bench's library: DIR (a folder per person)
scanned, clustered, half the people named with half their photos confirmed (faceapp.bench.family_bench);
then a quarter of the faces the clustering placed (not confirmed) are taken out of their people, as
new photos of known people, and DIR2's photos (one-photo people, e.g. ../shared/data/lfw_extra) are
scanned in as strangers. For each FAR level, on a fresh copy: how many of the known people's new
faces join their own person (and how many a wrong one), and how many strangers' faces join someone,
and a named person.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from faceapp.errors import FaceappError
from faceapp.storage.session import library

LEVELS = ("1e-3", "1e-4")
HELD = 0.25


def stranger_photos(root: Path, limit: int) -> list[Path]:
    """Up to `limit` photos of people with exactly one photo under root (a folder per person)."""
    out = []
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(f for f in d.iterdir() if f.is_file())
        if len(files) == 1:
            out.append(files[0])
        if len(out) >= limit:
            break
    return out


def hold_out(db, share: float, seed: int) -> list[int]:  # noqa: ANN001
    """Take `share` of the faces the clustering placed out of their people (they become unsorted, as
    new photos are); the cached prototypes are dropped so that none of them counts. Their ids."""
    from faceapp.storage import people as store

    placed = sorted(f for f, (_, src, _) in store.assignments(db).items() if src == "cluster")
    rng = np.random.default_rng(seed)
    held = [f for f in placed if rng.random() < share]
    store.unassign(db, held)
    store.drop_prototypes(db)
    return held


def measure(path: Path, far: str, margin: float, held: list[int], home: dict[int, int], named: set[int],
            strangers: set[int], recluster_after: bool = False) -> dict:
    """assign_new at this level on `path`; what joined whom (and, with recluster_after, where every
    face is after a re-cluster: 'after_cluster')."""
    from faceapp.jobs.recluster import assign_new
    from faceapp.storage import people as store

    with library(path) as db:
        assign_new(db, far=far, margin=margin)
        now = {f: p for f, (p, src, _) in store.assignments(db).items() if src == "auto"}
        out = {"far": far, "margin": margin, **_counts(now, held, home, named, strangers)}
        if recluster_after:  # then `faceapp cluster`, as the app runs after a scan: who ends where
            from faceapp.jobs.people import recluster

            recluster(db)
            after = {f: p for f, (p, _, _) in store.assignments(db).items()}
            out["after_cluster"] = _counts(after, held, home, named, strangers)
    return out


def _counts(now: dict[int, int], held: list[int], home: dict[int, int], named: set[int], strangers: set[int]) -> dict:
    joined = [f for f in strangers if f in now]
    return {"known_right": sum(1 for f in held if f in now and now[f] == home.get(f)),
            "known_wrong": sum(1 for f in held if f in now and now[f] != home.get(f)), "known": len(held),
            "strangers_joined": len(joined), "strangers_named": sum(1 for f in joined if now[f] in named),
            "stranger_faces": len(strangers)}


def cmd_assign(args: argparse.Namespace) -> int:
    from faceapp.bench.family_bench import prepare, select_photos, simulate_user, split_family, truth_of
    from faceapp.jobs.people import recluster
    from faceapp.jobs.scan import Scanner
    from faceapp.storage import people as store
    from faceapp.storage.backup import copy_library

    root, other = Path(args.dir), Path(args.strangers)
    if not root.is_dir() or not other.is_dir():
        raise FaceappError(f"no such folder: {root if not root.is_dir() else other}")
    chosen = select_photos(root, args.people, args.limit_people, args.per_person)
    family, _ = split_family(list(chosen), 0.5, args.seed)
    extra = stranger_photos(other, args.stranger_photos)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="faceapp-bench-assign-") as tmp:
        path, labels_root = prepare(root, args.db, chosen, Path(tmp))
        with library(path) as db:
            truth = truth_of(db, labels_root)
            recluster(db)
            simulate_user(db, truth, family, 0.5, args.seed)
            recluster(db)
            known = set(store.assignments(db))
            shown = Path(tmp) / "strangers"
            shown.mkdir()
            for f in extra:
                shutil.copyfile(f, shown / f"{f.parent.name}_{f.name}")
            Scanner(db).scan([shown])
            new = set(store.face_photos(db)) - set(truth) - known
            store.unassign(db, [f for f, (_, src, _) in store.assignments(db).items() if src == "auto"])
            held = hold_out(db, HELD, args.seed)
            owner = {f: p for f, (p, _, _) in store.assignments(db).items()}
            named = {p for p, n in store.person_names(db).items() if n}
        # each held face's own person: the one holding most of its identity's remaining faces
        by_truth: dict[str, Counter] = {}
        for f, p in owner.items():
            if f in truth:
                by_truth.setdefault(truth[f], Counter())[p] += 1
        home = {f: by_truth[truth[f]].most_common(1)[0][0] for f in held if truth.get(f) in by_truth}
        rows = []
        for far in LEVELS:
            run = Path(tmp) / f"assign-{far}.db"
            copy_library(path, run)
            rows.append(measure(run, far, args.margin, held, home, named, new, recluster_after=True))
    secs = time.perf_counter() - t0
    print(f"dir={root} half={args.people} people={len(chosen)} (named {len(family)}); new faces of known people "
          f"{len(held)}; strangers {rows[0]['stranger_faces']} faces in {len(extra)} photos of {other}; {secs:.0f} s")
    print("| scan at FAR | known people's new faces: own person | a wrong person | strangers' faces placed | "
          "with a named person |\n|---|---|---|---|---|")
    for r in rows:
        for label, c in ((r["far"], r), (f"{r['far']}, then `faceapp cluster`", r["after_cluster"])):
            k, s = max(c["known"], 1), max(c["stranger_faces"], 1)
            print(f"| {label} | {c['known_right']} ({100 * c['known_right'] / k:.1f} %) | {c['known_wrong']} "
                  f"({100 * c['known_wrong'] / k:.1f} %) | {c['strangers_joined']} "
                  f"({100 * c['strangers_joined'] / s:.1f} %) | {c['strangers_named']} ({100 * c['strangers_named'] / s:.1f} %) |")
    sys.stdout.flush()
    return 0


def register_bench(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("assign", help="a scan's new faces: known people's join them, strangers' should not")
    p.add_argument("dir", help="folder per person (e.g. ../shared/data/celeba_dev)")
    p.add_argument("--strangers", required=True, help="folder per person; its one-photo people are the strangers "
                   "(e.g. ../shared/data/lfw_extra)")
    p.add_argument("--stranger-photos", type=int, default=600, help="how many strangers' photos (default 600)")
    p.add_argument("--db", type=Path, default=None, help="start from a copy of this library, scanned from DIR")
    p.add_argument("--people", default="dev", choices=["all", "dev", "test"], help="which half of the people")
    p.add_argument("--limit-people", type=int, default=None, help="only the first N people (quick runs)")
    p.add_argument("--per-person", type=int, default=None, help="only the first N photos of each person")
    p.add_argument("--margin", type=float, default=0.05, help="lead over the runner-up (default: the app's)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_assign)

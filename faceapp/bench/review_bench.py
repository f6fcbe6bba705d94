"""`faceapp bench review DIR`: how fast the review queue fixes a library, played by a simulated user.

DIR (a folder per person) is scanned into a library, or a copy of --db is used (the file itself is
never changed); it is clustered as `faceapp cluster` does. A user who knows the folder labels then
works down the review queue as the GUI's review view shows it: the first item, answered yes when it
is right and no when it is wrong (one click each; accepting a merge is one click), and the queue read
again after every answer. That is all the app does after a review answer: no re-group and no
assign_new (those run only when the user asks for a re-group, or after a scan). An item the labels
can't judge (a face that is not its photo's labeled face, shown with a person of no labeled face) is
answered no: it costs its click and can't move the figures (no labeled face changes person), and it
leaves the queue as a real user's answer would (a skipped item would stay on top).

Printed after 0 clicks and after each budget: BCubed P/R/F on the labeled faces (people = persons in
the library, unsorted faces = singletons), the F that a re-group would give then (on a copy; the
user goes on from the un-regrouped library), and per item kind the share of answers that were yes.

Printed too: review answers per minute with the reference faces shown and without (the review page
before issue 11), over the same answers, by the model of a person's time in faceapp.bench.review_pace.

Baseline, in the same run and with the same clicks (--baseline faces): a user without the queue,
who takes undecided faces (proposed or unsorted) in a random order and puts each right in one click:
confirms it, moves it to the person holding most of its label, or rejects it where none does. It is
the fairer control: it is generous (moving a face to the right person takes a person picker in the
GUI, not one click) and it spends clicks on the same decisions the queue asks for. The queue in a
random order (--baseline shuffled) is mostly "uncertain" items (the runner-up person passes the
loose threshold for nearly every face), whose yes only confirms a face already right, so beating it
would say little.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlite_utils import Database

from faceapp.bench.review_pace import Pace, pace_line
from faceapp.core.metrics import bcubed
from faceapp.errors import FaceappError
from faceapp.jobs.people import PeopleError, recluster
from faceapp.jobs.review import ReviewItem, accept_items, reject_items, review_queue
from faceapp.storage import people as store
from faceapp.storage.backup import copy_library
from faceapp.storage.photos import delete_photos, photos_under
from faceapp.storage.session import library

KINDS = ("merge", "uncertain", "suggest", "outlier")


def census(db: Database, truth: dict[int, str]) -> tuple[dict[int, str], dict[str, int]]:
    """(each person's identity as a user sees it: the label most of its labeled faces carry;
    each label's home: the person holding most of its faces among those of that identity)."""
    votes: dict[int, Counter] = {}
    for f, (p, _, _) in store.assignments(db).items():
        if f in truth:
            votes.setdefault(p, Counter())[truth[f]] += 1
    ident = {p: c.most_common(1)[0][0] for p, c in votes.items()}
    home: dict[str, int] = {}
    for p, t in ident.items():
        if t not in home or votes[p][t] > votes[home[t]][t]:
            home[t] = p
    return ident, home


def judge(item: ReviewItem, truth: dict[int, str], ident: dict[int, str]) -> bool | None:
    """True: the suggestion is right; False: wrong; None: the labels can't tell."""
    if item.kind == "merge":
        a, b = ident.get(item.person_id), ident.get(item.other_person_id)
    else:
        a, b = truth.get(item.face_id), ident.get(item.person_id)
    if a is None and b is None:
        return None
    return a is not None and a == b


def score(db: Database, truth: dict[int, str]) -> tuple[float, float, float]:
    """BCubed (P, R, F) of the library's people on the labeled faces, read from the database."""
    assign = store.assignments(db)
    faces = sorted(truth)
    pred = np.array([assign[f][0] if f in assign else -1 for f in faces], np.int64)
    return bcubed([truth[f] for f in faces], pred)


def regrouped_f(db: Database, truth: dict[int, str]) -> float:
    """F after a re-group now, measured on a copy so the run goes on without it."""
    with tempfile.TemporaryDirectory(prefix="faceapp-review-") as tmp:
        copy_library(db, Path(tmp) / "copy.db")
        with library(Path(tmp) / "copy.db") as copy:
            recluster(copy)
            return score(copy, truth)[2]


Step = Callable[[Database, dict[int, str]], tuple[str, str] | None]  # one click: (kind, answer) or None


def queue_user(order: str = "queue", seed: int = 0,
               watch: Callable[[Database, ReviewItem], None] | None = None) -> Step:
    """Answers the review queue's first item (order "queue", as the GUI shows it) or a random one;
    an item the people rules refuse is passed over from then on. `watch(db, item)` sees each item
    just before it is answered (faceapp.bench.review_pace times it)."""
    skipped: set[str] = set()
    draw: dict[str, float] = {}

    def rank(it: ReviewItem) -> float:  # queue order: every item ties and min() keeps the first
        if order == "queue":
            return 0.0
        if it.key not in draw:
            draw[it.key] = random.Random(f"{seed}:{it.key}").random()
        return draw[it.key]

    def step(db: Database, truth: dict[int, str]) -> tuple[str, str] | None:
        items = [it for it in review_queue(db, limit=1_000_000) if it.key not in skipped]
        if not items:
            return None
        it = min(items, key=rank)
        ok = judge(it, truth, census(db, truth)[0])
        if watch is not None:
            watch(db, it)
        try:
            (accept_items if ok else reject_items)(db, [it])
        except PeopleError:  # the people rules refused it (the GUI says so); the user moves on
            skipped.add(it.key)
            return it.kind, "refused"
        return it.kind, "yes" if ok else "no" if ok is not None else "unknown"

    return step


def face_user(db: Database, seed: int = 0) -> Step:
    """The baseline: faces not yet decided (proposed or unsorted) in a random order, each confirmed
    as its right person in one click (its own, or moved to where most of that label is), rejected
    when no person is right, skipped when the labels can't tell."""
    from faceapp.jobs.people import confirm_faces, reject_faces
    from faceapp.jobs.recluster import library_vectors

    ids = library_vectors(db)[0].tolist()
    todo = iter(random.Random(seed).sample(ids, len(ids)))

    def step(db: Database, truth: dict[int, str]) -> tuple[str, str] | None:
        assign = store.assignments(db)
        f = next((f for f in todo if assign.get(f, (0, ""))[1] not in store.DECIDED), None)
        if f is None:
            return None
        ident, home = census(db, truth)
        p = assign.get(f, (None,))[0]
        kind, t = "proposed" if p is not None else "unsorted", truth.get(f)
        target = home.get(t) if t is not None else None
        try:
            if target is not None:
                confirm_faces(db, [f], target)
                return kind, "yes" if target == p else "moved"
            if p is not None and (t is not None or p in ident):
                reject_faces(db, [f], p)
                return kind, "no"
        except PeopleError:
            return kind, "refused"
        return kind, "skip"

    return step


def play(db: Database, truth: dict[int, str], budgets: list[int], step: Step, regroup: bool = True) -> dict:
    """Click up to max(budgets) times; BCubed after 0 and each budget, and the answers per kind."""
    marks = sorted(set(budgets))

    def row(n: int) -> dict:
        p, r, f = score(db, truth)
        out = {"clicks": n, "bcubed_p": round(p, 4), "bcubed_r": round(r, 4), "bcubed_f": round(f, 4)}
        return {**out, "regroup_f": round(regrouped_f(db, truth), 4)} if regroup else out

    rows, used, tally = [row(0)], 0, {}
    while used < marks[-1]:
        click = step(db, truth)
        if click is None:
            break
        used += 1
        tally.setdefault(click[0], Counter())[click[1]] += 1
        if used in marks:
            rows.append(row(used))
    if used < marks[-1]:  # the queue ran out: the later budgets get the library as it is now
        last = rows[-1] if used in marks or used == 0 else row(used)
        rows += [{**last, "clicks": n, "ran_out_at": used} for n in marks if n > used]
    answers = {}
    for k, c in tally.items():
        judged = sum(c.values()) - c["skip"] - c["refused"] - c["unknown"]
        answers[k] = {**c, "right": round(c["yes"] / judged, 3) if judged else None}
    return {"rows": rows, "clicks": used, "answers": answers}


def first_items(db: Database, truth: dict[int, str], top: int = 20) -> dict:
    """The untouched queue judged per kind: how many items, share right in the first `top` and in all."""
    ident, items = census(db, truth)[0], review_queue(db, limit=1_000_000)

    def share(xs: list) -> float | None:
        xs = [x for x in xs if x is not None]
        return round(sum(xs) / len(xs), 3) if xs else None

    out = {}
    for kind in KINDS:
        v = [judge(it, truth, ident) for it in items if it.kind == kind]
        out[kind] = {"items": len(v), f"right_top{top}": share(v[:top]), "right_all": share(v)}
    return out


def prepare(root: Path, db_path: Path | None, half: str, tmp: Path) -> tuple[Path, dict[int, str]]:
    """A scanned, clustered library of `half` of the people under root, in tmp (a copy of db_path
    when given); its file and the truth of its labeled faces."""
    from faceapp.jobs.labeled import labeled_faces, people_half
    from faceapp.jobs.scan import Scanner

    path = tmp / "review.db"
    if db_path is not None:
        copy_library(db_path, path)
    with library(path) as db:
        Scanner(db).scan([root])
        if half != "all":  # a library of those people only: the other half's photos leave it
            base = root.resolve()
            folder = {p.id: Path(p.path).relative_to(base).parts[0] for p in photos_under(db, str(base))}
            keep = people_half(list(folder.values()), half)
            delete_photos(db, [i for i, f in folder.items() if f not in keep])
        recluster(db)  # as `faceapp cluster` does
        ids, _, _, labeled, labels, _ = labeled_faces(db, root, "all")  # the library holds only `half` now
    return path, dict(zip(ids[labeled].tolist(), labels, strict=True))


def cmd_review(args: argparse.Namespace) -> int:
    root = Path(args.dir)
    if not root.is_dir():
        raise FaceappError(f"no such folder: {root}")
    budgets = sorted({int(c) for c in args.clicks.split(",") if c.strip()})
    if not budgets or budgets[0] <= 0:
        raise FaceappError("--clicks: positive click counts, e.g. 10,25,50")
    with tempfile.TemporaryDirectory(prefix="faceapp-bench-review-") as tmp:
        path, truth = prepare(root, args.db, args.people, Path(tmp))
        if not truth:
            raise FaceappError(f"no labeled faces under {root}")
        start = Path(tmp) / "start.db"
        copy_library(path, start)
        with library(path) as db:
            report = {"dir": str(root), "people_half": args.people, "labeled_faces": len(truth),
                      "people": len(set(truth.values())), "queue": first_items(db, truth)}
            pace = Pace()
            report["faceapp"] = play(db, truth, budgets, queue_user(watch=pace.watch))
            report["pace"] = pace.per_minute()
        with library(start) as db:
            report["baseline"] = play(db, truth, budgets, face_user(db, args.seed) if args.baseline == "faces"
                                      else queue_user("random", args.seed))
    if args.json:
        json.dump(report, sys.stdout, indent=2, default=str)
        print()
        return 0
    print(f"dir={root} people={report['people']} ({args.people}) labeled_faces={len(truth)}")
    print("queue at the start (share right):", "  ".join(f"{k}: {v}" for k, v in report["queue"].items()))
    print(f"{'order':>8} {'clicks':>6} {'P':>7} {'R':>7} {'F':>7} {'F+regroup':>10}")
    for arm in ("faceapp", "baseline"):
        for r in report[arm]["rows"]:
            print(f"{arm:>8} {r['clicks']:>6} {r['bcubed_p']:>7.4f} {r['bcubed_r']:>7.4f} {r['bcubed_f']:>7.4f} "
                  f"{r['regroup_f']:>10.4f}")
        print(f"{arm:>8} answers:", "  ".join(f"{k}: {dict(v)}" for k, v in report[arm]["answers"].items()))
    print(pace_line(report["pace"]))
    return 0


def register_bench(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="a simulated user works down the review queue (BCubed per click budget)")
    p.add_argument("dir", help="folder per person (e.g. ../shared/data/celeba_dev)")
    p.add_argument("--db", type=Path, default=None, help="start from a copy of this scanned library")
    p.add_argument("--people", default="all", choices=["all", "dev", "test"], help="which half of the people")
    p.add_argument("--clicks", default="10,25,50,100,200", help="click budgets (comma-separated)")
    p.add_argument("--baseline", default="faces", choices=["faces", "shuffled"],
                   help="random undecided faces, each put right in one click (default), or the queue shuffled")
    p.add_argument("--seed", type=int, default=0, help="seed of the baseline's random order")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_review)

"""`faceapp bench family DIR`: does naming people make recognition of *those people* better?

The learning loop end to end, through the app's own paths. DIR (a folder per person) is scanned
into a fresh library (or a copy of --db is used, the file itself never changed) and clustered as
`faceapp cluster` does. A simulated user then names half of the people ("family"; the others are
"strangers") and confirms a share of each one's photos (default half): the person holding most of a
family member's faces is named, and the chosen faces are confirmed into it (moved there when they
were elsewhere) with the same functions the CLI and the GUI call. Then `faceapp train --db` runs
with the app's defaults (the CLI's own code path, in this process), and the library is re-clustered.

Printed, BCubed F on the photos nobody labeled (the family's unconfirmed faces; every stranger face),
family and strangers apart, after each step: the base model with no names; the base model with the
names and confirmations (re-clustered); after retraining (re-clustered with the new model). Each
photo's labeled face is its largest (faceapp.jobs.labeled). Plus the training time and the lift.

--people dev|test takes one fixed half of the people (choose settings on dev, report on test);
--limit-people and --per-person make a quick run. --train-seeds N trains each config N times (training
seeds 0..N-1) and prints the mean lift with its standard error: one seed moves the lift by most of a
point on celeba_dev. Seeds are fixed: the same command gives the same
people, the same confirmations and (on CPU) the same training.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlite_utils import Database

from faceapp.core.metrics import bcubed
from faceapp.errors import FaceappError
from faceapp.storage import people as store
from faceapp.storage.session import library

STEPS = ("base model, no names", "base model + names and confirmations", "+ faceapp train --db")


def select_photos(root: Path, half: str, limit_people: int | None, per_person: int | None) -> dict[str, list[Path]]:
    """The photos of the run, per person: the half's people (sorted), the first limit_people of them,
    the first per_person photos of each (sorted by name)."""
    from faceapp.jobs.labeled import people_half
    from trainer.data.faceset import person_folders

    folders = dict(person_folders(root))
    names = sorted(people_half(list(folders), half))[:limit_people]
    return {n: folders[n][:per_person] for n in names}


def prepare(root: Path, db_path: Path | None, chosen: dict[str, list[Path]], tmp: Path) -> tuple[Path, Path]:
    """A scanned library of exactly the chosen photos, in tmp; (its file, the root its labels are under)."""
    from faceapp.jobs.scan import Scanner
    from faceapp.storage.backup import copy_library
    from faceapp.storage.photos import delete_photos, photos_under

    path = tmp / "family.db"
    if db_path is not None:  # a library scanned from root: keep only the chosen photos
        copy_library(db_path, path)
        keep = {str(f.resolve()) for files in chosen.values() for f in files}
        with library(path) as db:
            Scanner(db).scan([str(f) for f in sorted(keep)])  # anything the copy lacks
            delete_photos(db, [p.id for p in photos_under(db, str(root.resolve())) if p.path not in keep])
        return path, root
    photos = tmp / "photos"
    for name, files in chosen.items():
        (photos / name).mkdir(parents=True)
        for f in files:
            shutil.copyfile(f, photos / name / f.name)
    with library(path) as db:
        Scanner(db).scan([photos])
    return path, photos


def truth_of(db: Database, root: Path) -> dict[int, str]:
    """{labeled face id: its person (folder)}: each photo's largest face."""
    from faceapp.jobs.labeled import labeled_faces

    ids, _, _, labeled, labels, _ = labeled_faces(db, root, "all")
    return dict(zip(ids[labeled].tolist(), labels, strict=True))


def prf_on(db: Database, truth: dict[int, str], faces: list[int]) -> tuple[float, float, float]:
    """BCubed (P, R, F) of the library's people on these faces (an unsorted face is a person of its own)."""
    assign = store.assignments(db)
    pred = [assign[f][0] if f in assign else -1 - f for f in faces]
    return bcubed([truth[f] for f in faces], pred)


def f_on(db: Database, truth: dict[int, str], faces: list[int]) -> float:
    return prf_on(db, truth, faces)[2]


def split_family(names: list[str], share: float, seed: int) -> tuple[list[str], list[str]]:
    """(family, strangers): a seeded `share` of the people are the ones the user names."""
    order = np.random.default_rng(seed).permutation(sorted(names))
    cut = int(round(share * len(order)))
    return sorted(order[:cut].tolist()), sorted(order[cut:].tolist())


def simulate_user(db: Database, truth: dict[int, str], family: list[str], confirm: float, seed: int) -> dict:
    """Name each family member's person and confirm a `confirm` share of their photos (at least
    one), as a user of the app would: name the person that holds most of their faces, confirm the
    chosen faces into it (moving those that sit elsewhere). When that person already got another
    name (two people clustered as one), the chosen faces are split off into a new named person.
    Returns {'confirmed': face ids, 'named': people named, 'split': people split off}."""
    from faceapp.jobs.people import PeopleError, confirm_faces, name_person, split_person

    rng = np.random.default_rng(seed + 1)
    by_label: dict[str, list[int]] = {}
    for f, t in sorted(truth.items()):
        by_label.setdefault(t, []).append(f)
    confirmed: list[int] = []
    claimed: set[int] = set()
    named = split = 0
    for name in family:
        faces = by_label.get(name, [])
        if not faces:
            continue
        chosen = sorted(rng.choice(faces, max(1, int(round(confirm * len(faces)))), replace=False).tolist())
        assign = store.assignments(db)
        votes: dict[int, int] = {}
        for f in faces:
            if f in assign:
                votes[assign[f][0]] = votes.get(assign[f][0], 0) + 1
        home = next((p for p, _ in sorted(votes.items(), key=lambda kv: -kv[1]) if p not in claimed), None)
        if home is None:  # every person holding them is someone else's: split the chosen ones off
            held = [f for f in chosen if f in assign]
            if not held:
                continue  # all unsorted and nowhere to put them: the user leaves this one for later
            src = assign[held[0]][0]
            home = split_person(db, src, [f for f in held if assign[f][0] == src], name=name)
            split += 1
        else:
            name_person(db, home, name)
        claimed.add(home)
        named += 1
        try:
            confirm_faces(db, chosen, home)
        except PeopleError:  # a face of the same photo already decided for this person: one at a time
            for f in chosen:
                try:
                    confirm_faces(db, [f], home)
                except PeopleError:
                    chosen = [c for c in chosen if c != f]
        confirmed += chosen
    return {"confirmed": confirmed, "named": named, "split": split}


def run_train(path: Path, out: Path, extra: list[str]) -> tuple[dict, str]:
    """`faceapp train --db PATH` with the app's defaults (plus `extra` flags), run as a user runs it
    (a child process: the benchmark imports nothing of the CLI); (its report.json, what it printed last)."""
    import subprocess

    res = subprocess.run([sys.executable, "-m", "faceapp", "train", "--db", str(path), "--out", str(out), *extra],
                         capture_output=True, text=True)
    text = res.stdout
    if res.returncode != 0:
        raise FaceappError(f"faceapp train failed ({res.returncode}):\n{(text + res.stderr)[-2000:]}")
    lines = [ln for ln in text.splitlines() if ln.strip() and "step" not in ln]
    return json.loads((out / "report.json").read_text()), "\n".join(lines[-4:])


def _row(db: Database, truth: dict[int, str], step: str, unlabeled: list[int], strangers: list[int]) -> dict:
    fam, st = prf_on(db, truth, unlabeled), prf_on(db, truth, strangers)
    return {"step": step, "family": round(fam[2] * 100, 2), "strangers": round(st[2] * 100, 2),
            "family_pr": [round(v * 100, 2) for v in fam[:2]], "strangers_pr": [round(v * 100, 2) for v in st[:2]]}


def cmd_family(args: argparse.Namespace) -> int:
    from faceapp.jobs.named_place import place_with_named
    from faceapp.jobs.people import recluster
    from faceapp.storage.backup import copy_library

    root = Path(args.dir)
    if not root.is_dir():
        raise FaceappError(f"no such folder: {root}")
    chosen = select_photos(root, args.people, args.limit_people, args.per_person)
    if len(chosen) < 4:
        raise FaceappError(f"too few people under {root} for family and strangers")
    family, strangers = split_family(list(chosen), args.family_share, args.seed)
    with tempfile.TemporaryDirectory(prefix="faceapp-bench-family-") as tmp:
        variants = [(c, seed, _config_args(c, seed, args.train_seeds, Path(tmp)))
                    for c in (args.configs or ["default"]) for seed in range(args.train_seeds)]
        t0 = time.perf_counter()
        path, labels_root = prepare(root, args.db, chosen, Path(tmp))
        t_scan = time.perf_counter() - t0
        with library(path) as db:
            truth = truth_of(db, labels_root)
            fam_set = set(family)
            recluster(db)  # as `faceapp cluster` does
            stranger_faces = sorted(f for f, t in truth.items() if t not in fam_set)
            user = simulate_user(db, truth, family, args.confirm, args.seed)
            unlabeled = sorted({f for f, t in truth.items() if t in fam_set} - set(user["confirmed"]))
            # measured after the user's clicks but before any re-group: the clicks only move the faces
            # the user confirmed, which these figures leave out, so this is the base model's clustering
            rows = [_row(db, truth, STEPS[0], unlabeled, stranger_faces)]
            recluster(db)
            rows.append(_row(db, truth, STEPS[1], unlabeled, stranger_faces))
        if args.place:  # the same named placement on the base model: what it gives without training
            placed = Path(tmp) / "placed.db"
            copy_library(path, placed)
            with library(placed) as db:
                info = place_with_named(db)
                rows.append({**_row(db, truth, STEPS[1] + " + named placement", unlabeled, stranger_faces),
                             "placement": info})
        res = {"dir": str(root), "people_half": args.people, "people": len(chosen), "family": len(family),
               "strangers": len(strangers), "labeled_faces": len(truth), "confirmed": len(user["confirmed"]),
               "named": user["named"], "split_off": user["split"], "unlabeled_family_faces": len(unlabeled),
               "stranger_faces": len(stranger_faces), "scan_seconds": round(t_scan, 1), "rows": rows, "variants": []}
        for k, (name, seed, extra) in enumerate(variants):
            run = Path(tmp) / f"variant{k}.db"
            copy_library(path, run)
            t0 = time.perf_counter()
            report, said = run_train(run, Path(tmp) / f"train{k}", [*extra, *args.train_args])
            t_train = time.perf_counter() - t0
            with library(run) as db:
                recluster(db)
                row = _row(db, truth, STEPS[2] + ("" if name == "default" else f" --config {Path(name).name}")
                           + (f" (training seed {seed})" if args.train_seeds > 1 else ""), unlabeled, stranger_faces)
                if args.place:
                    row["without_placement"] = {k: row[k] for k in ("family", "strangers", "family_pr", "strangers_pr")}
                    info = place_with_named(db)
                    row.update(_row(db, truth, row["step"] + " + named placement", unlabeled, stranger_faces),
                               placement=info)
            res["variants"].append({
                **row, "config": name, "seed": seed, "lift_family": round(row["family"] - rows[1]["family"], 2),
                "lift_strangers": round(row["strangers"] - rows[1]["strangers"], 2),
                "train_seconds": round(t_train, 1), "trainer_seconds": round(report.get("seconds", 0.0), 1),
                "faces": report.get("faces"), "selection": report.get("selection"),
                "adaptation": (report.get("adaptation") or {}).get("kept"), "thresholds": report.get("thresholds"),
                "heldout": {k: (report.get(k) or {}).get("heldout", {}).get("clustering", {}).get("bcubed_f")
                            for k in ("before", "after")}, "said": said})
            print(json.dumps(res["variants"][-1]), file=sys.stderr, flush=True)
    res["over_seeds"] = over_seeds(res["variants"]) if args.train_seeds > 1 else {}
    if args.json:
        json.dump(res, sys.stdout, indent=2, default=str)
        print()
        return 0
    print(f"dir={root} half={args.people} people={len(chosen)} (family {len(family)}, strangers {len(strangers)}) "
          f"labeled faces={len(truth)} confirmed={len(user['confirmed'])} unlabeled family={len(unlabeled)} "
          f"strangers={len(stranger_faces)}; scan {res['scan_seconds']:.0f} s")
    print("| step | family people | strangers | training |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['step']} | {r['family']:.2f} | {r['strangers']:.2f} | |")
    for v in res["variants"]:
        print(f"| {v['step']} | {v['family']:.2f} ({v['lift_family']:+.2f}) | {v['strangers']:.2f} "
              f"({v['lift_strangers']:+.2f}) | {v['train_seconds']:.0f} s |")
    for v in res["variants"]:
        print(f"{v['step']}: faces {v['faces']}; kept {(v['selection'] or {}).get('kept')}; map {v['adaptation']}")
        print(f"  faceapp train said: {v['said'].splitlines()[-1] if v['said'] else ''}")
    for name, o in res["over_seeds"].items():
        print(f"{name}, {o['seeds']} training seeds: family {o['family'][0]:+.2f} ± {o['family'][1]:.2f}, "
              f"strangers {o['strangers'][0]:+.2f} ± {o['strangers'][1]:.2f} (mean lift ± its standard error)")
    return 0


def _config_args(name: str, seed: int, seeds: int, tmp: Path) -> list[str]:
    """`faceapp train` flags for one run: the config as given when there is one seed, else a seeded copy."""
    if seeds == 1:
        return [] if name == "default" else ["--config", name]
    return ["--config", str(seeded_config(name, seed, tmp))]


def seeded_config(name: str, seed: int, tmp: Path) -> Path:
    """A copy of the TrainConfig file `name` ('default': none) with its training seed set to `seed`."""
    raw = {} if name == "default" else json.loads(Path(name).read_text())
    out = tmp / f"seed{seed}-{Path(name).stem}.json"
    out.write_text(json.dumps({**raw, "seed": seed}))
    return out


def over_seeds(variants: list[dict]) -> dict[str, dict]:
    """{config: {'seeds': n, 'family': (mean lift, SE), 'strangers': (mean lift, SE)}}: one seed moves a
    fine-tune on ~500 faces by most of a point, so settings are compared on the mean of several."""
    by: dict[str, list[dict]] = {}
    for v in variants:
        by.setdefault(v["config"], []).append(v)
    out = {}
    for name, vs in by.items():
        def stat(key: str, vs: list[dict] = vs) -> tuple[float, float]:
            x = np.array([v[key] for v in vs], float)
            return round(float(x.mean()), 2), round(float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else 0.0, 2)
        out[name] = {"seeds": len(vs), "family": stat("lift_family"), "strangers": stat("lift_strangers")}
    return out


def register_bench(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("family", help="name half the people, retrain, re-cluster: BCubed F on the unlabeled photos")
    p.add_argument("dir", help="folder per person (e.g. ../shared/data/celeba_dev)")
    p.add_argument("--db", type=Path, default=None, help="start from a copy of this library, scanned from DIR")
    p.add_argument("--people", default="all", choices=["all", "dev", "test"], help="which half of the people")
    p.add_argument("--limit-people", type=int, default=None, help="only the first N people of the half (quick runs)")
    p.add_argument("--per-person", type=int, default=None, help="only the first N photos of each person")
    p.add_argument("--family-share", type=float, default=0.5, help="share of the people the user names")
    p.add_argument("--confirm", type=float, default=0.5, help="share of each named person's photos confirmed")
    p.add_argument("--seed", type=int, default=0, help="who is family and which photos are confirmed")
    p.add_argument("--configs", nargs="+", default=None, metavar="CONFIG",
                   help="train once per TrainConfig JSON file (`faceapp train --config`), 'default' for the "
                        "app's defaults, all from the same named library (default: the defaults only)")
    p.add_argument("--train-seeds", type=int, default=1, metavar="N",
                   help="train each config with seeds 0..N-1 and print the mean lift ± its standard error")
    p.add_argument("--train-args", nargs=argparse.REMAINDER, default=[],
                   help="extra `faceapp train` flags, last on the line (e.g. --train-args --loss arcface)")
    p.add_argument("--place", action="store_true", help="also measure named placement (faceapp.jobs.named_place, "
                   "not used by the app) after the names and after training")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_family)

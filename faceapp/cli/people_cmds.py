"""cluster, people, name, merge, split, confirm, reject, not-face, hide, undo, redo, review, verify, export, import, calibrate."""

from __future__ import annotations

import argparse
from pathlib import Path

from faceapp.cli import CLIError
from faceapp.cli.common import add_db_option, open_db, print_json
from faceapp.types import DEVICES, FARS


def _person(db, ref: str) -> int:  # noqa: ANN001
    """A person by id or by exact name (case-insensitive)."""
    from faceapp.storage.people import list_persons

    people = list_persons(db, include_hidden=True)
    if ref.isdigit() and any(p.id == int(ref) for p in people):
        return int(ref)
    hits = [p.id for p in people if p.name and p.name.casefold() == ref.casefold()]
    if len(hits) == 1:
        return hits[0]
    raise CLIError(f"no person {ref!r}" if not hits else f"{len(hits)} people are named {ref!r}; use an id")


def _act(fn, *a, **kw):  # noqa: ANN001, ANN002, ANN003
    from faceapp.jobs.people import PeopleError

    try:
        return fn(*a, **kw)
    except PeopleError as exc:
        raise CLIError(str(exc)) from exc


def cmd_cluster(args: argparse.Namespace) -> int:
    from faceapp.cli.progress_bar import ProgressBar
    from faceapp.core.cluster.params import DEFAULT_FAR
    from faceapp.jobs.people import assign_new, recluster
    from faceapp.jobs.recluster import ASSIGN_FAR
    from faceapp.jobs.verify import VerifyError

    db = open_db(args)
    try:
        if args.new_only:
            st = assign_new(db, far=args.far or ASSIGN_FAR, margin=args.margin)
        else:
            with ProgressBar() as bar:
                st = recluster(db, far=args.far or DEFAULT_FAR, min_size=args.min_size, progress=bar)
    except (VerifyError, ValueError) as exc:
        raise CLIError(str(exc)) from exc
    if args.json:
        print_json(st.as_dict())
    else:
        for k, v in st.as_dict().items():
            print(f"{k:>16}: {round(v, 3) if isinstance(v, float) else v}")
    return 0


def cmd_people(args: argparse.Namespace) -> int:
    from faceapp.jobs.people import list_people

    db = open_db(args)
    people = list_people(db, include_hidden=args.all)
    if args.json:
        print_json([{**p.__dict__, "label": p.label} for p in people])
        return 0
    for p in people:
        print(f"{p.id:>6}  {p.label:<30} {p.faces:>6} faces {p.photos:>6} photos {p.confirmed:>5} decided"
              + ("  (hidden)" if p.hidden else ""))
    print(f"{len(people)} people")
    return 0


def cmd_name(args: argparse.Namespace) -> int:
    from faceapp.jobs.people import name_person

    db = open_db(args)
    _act(name_person, db, _person(db, args.person), " ".join(args.name))
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from faceapp.jobs.people import merge_people

    db = open_db(args)
    res = _act(merge_people, db, _person(db, args.target), [_person(db, s) for s in args.sources])
    print(f"merged {res['merged']} into {res['target']}: {res['faces']} faces"
          + (f", {len(res['unsorted'])} unsorted (same photo)" if res["unsorted"] else ""))
    return 0


def cmd_split(args: argparse.Namespace) -> int:
    from faceapp.jobs.people import split_person

    db = open_db(args)
    new = _act(split_person, db, _person(db, args.person), args.faces, name=args.name)
    print(f"new person {new}")
    return 0


def cmd_confirm(args: argparse.Namespace) -> int:
    from faceapp.jobs.people import confirm_faces

    db = open_db(args)
    n = _act(confirm_faces, db, args.faces, _person(db, args.person) if args.person else None)
    print(f"{n} faces confirmed")
    return 0


def cmd_reject(args: argparse.Namespace) -> int:
    from faceapp.jobs.people import reject_faces

    db = open_db(args)
    n = _act(reject_faces, db, args.faces, _person(db, args.person) if args.person else None)
    print(f"{n} faces rejected")
    return 0


def cmd_not_face(args: argparse.Namespace) -> int:
    from faceapp.jobs.people import mark_not_face

    db = open_db(args)
    print(f"{_act(mark_not_face, db, args.faces)} marked not a face")
    return 0


def cmd_hide(args: argparse.Namespace) -> int:
    from faceapp.jobs.people import hide_person

    db = open_db(args)
    _act(hide_person, db, _person(db, args.person), not args.unhide)
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    from faceapp.jobs.people import undo

    db = open_db(args)
    done = undo(db)
    print(f"undid {done['action']} of {done['at']}" if done else "nothing to undo")
    return 0 if done else 1


def cmd_redo(args: argparse.Namespace) -> int:
    from faceapp.jobs.people import redo

    db = open_db(args)
    done = redo(db)
    print(f"redid {done['action']} of {done['at']}" if done else "nothing to redo (a decision since the last undo ends redo)")
    return 0 if done else 1


def cmd_review(args: argparse.Namespace) -> int:
    from faceapp.jobs.review import accept_items, reject_items, review_queue

    db = open_db(args)
    items = review_queue(db, limit=max(args.limit, 1000 if (args.accept or args.reject) else args.limit))
    by_key = {it.key: it for it in items}
    for keys, fn, verb in ((args.accept, accept_items, "accepted"), (args.reject, reject_items, "rejected")):
        if keys:
            unknown = [k for k in keys if k not in by_key]
            if unknown:
                raise CLIError(f"not in the review queue now: {', '.join(unknown)}")
            print(f"{_act(fn, db, [by_key[k] for k in keys])} {verb}")
    if args.accept or args.reject:
        return 0
    items = items[: args.limit]
    if args.json:
        print_json([it.as_dict() for it in items])
        return 0
    for it in items:
        print(f"{it.key:<28} {it.kind:<9} {it.text}")
    print(f"{len(items)} items (accept/reject with: faceapp review --accept KEY ... / --reject KEY ...)")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from faceapp.jobs.verify import VerifyError, verify

    db = open_db(args)
    try:
        v = verify(db, args.a, args.b, far=args.far, device=args.device)
    except VerifyError as exc:
        raise CLIError(str(exc)) from exc
    if args.json:
        print_json(v.as_dict())
        return 0
    far_txt = f"{v.far_at_similarity:.1e}" if v.far_at_similarity is not None else "?"
    print(f"similarity {v.similarity:.4f}  →  {'SAME person' if v.same else 'DIFFERENT people'}")
    print(f"threshold {v.threshold:.4f} at FAR {v.far} ({v.model_id}); this similarity as a threshold: FAR {v.far_bound} {far_txt}")
    print("at every calibrated FAR: " + ", ".join(f"{k}: {'same' if s else 'different'}" for k, s in v.decisions.items()))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from faceapp.cli.progress_bar import ProgressBar
    from faceapp.jobs import export

    if args.with_ and (args.what != "albums" or args.people or args.unnamed):
        raise CLIError("--with makes one album of people together: `export albums --with A B [--without C]` "
                       "(not with --people or --unnamed)")
    if args.without and not args.with_:
        raise CLIError("--without goes with --with (export albums --with A B --without C)")
    db = open_db(args)
    people = [_person(db, p) for p in args.people] if args.people else None
    try:
        with ProgressBar() as bar:
            if args.with_:
                res = _act(export.export_together, db, args.out, [_person(db, p) for p in args.with_],
                           [_person(db, p) for p in args.without or []], mode=args.mode, progress=bar)
            elif args.what == "albums":
                res = export.export_albums(db, args.out, mode=args.mode, person_ids=people, include_unnamed=args.unnamed,
                                           progress=bar)
            elif args.what in ("csv", "json"):
                res = export.export_table(db, args.out, fmt=args.what, person_ids=people, progress=bar)
            else:
                res = export.export_xmp(db, overwrite=args.overwrite, person_ids=people, out_dir=args.out,
                                        include_unnamed=args.unnamed, progress=bar)
    except export.ExportError as exc:
        raise CLIError(str(exc)) from exc
    except OSError as exc:  # a full disk, a folder that went away: one line, not a traceback
        where = f" ({exc.filename})" if exc.filename else ""
        raise CLIError(f"export {args.what} failed: {exc.strerror or exc}{where}") from exc
    print_json(res.as_dict())
    if args.with_ and not res.people:
        import sys

        print("no photos of those people together: no album made", file=sys.stderr)
    if args.what == "xmp":  # the JSON is for scripts; people get one line on stderr
        import sys

        print(f"xmp: {res.written} written, {res.merged} merged into other tools' sidecars "
              f"({res.unchanged} already up to date), {res.skipped} left untouched, {len(res.errors)} errors",
              file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from faceapp.jobs.xmp_import import import_xmp

    db = open_db(args)
    res = _act(import_xmp, db, dry_run=args.dry_run)
    if args.json:
        print_json(res.as_dict())
    else:
        print("\n".join(res.lines()))
        if res.as_dict().get("confirmed") and not args.dry_run:
            print("next: `faceapp cluster` gathers each imported person's other faces round the confirmed ones")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    import json

    import numpy as np

    from faceapp import paths
    from faceapp.core.embed import Embedder
    from faceapp.jobs.calibrate import calibrate, embed_dataset

    if not args.out and not args.db:
        raise CLIError("say where the calibration goes: --out FILE, --db LIBRARY, or both")
    model = Path(args.model) if args.model else paths.SFACE
    embedder = Embedder(model)
    xs, labels, sources = [], [], {}
    for d in args.dirs:
        x, lab = embed_dataset(d, embedder, progress=print)
        xs.append(x)
        labels += [f"{Path(d).name}/{v}" for v in lab]
        sources[Path(d).name] = {"faces": len(lab), "people": len(set(lab))}
    rec = calibrate(np.concatenate(xs), labels, sources, embedder.info.model_id)
    rec["command"] = "faceapp calibrate " + " ".join(args.dirs) + (f" --out {args.out}" if args.out else "")
    if args.out:
        Path(args.out).write_text(json.dumps(rec, indent=2) + "\n")
    if args.db:  # stored with the model in the library: verify and clustering read it from there
        from faceapp.jobs.models import model_row_for_file
        from faceapp.storage import models as model_store

        db = open_db(args)
        model_store.store_calibration(db, model_row_for_file(db, model), rec)
    print(json.dumps({k: rec[k] for k in ("thresholds", "tar_at_far", "pairs")}, indent=2))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    def p(name: str, help: str, func) -> argparse.ArgumentParser:  # noqa: A002, ANN001
        sp = sub.add_parser(name, help=help)
        add_db_option(sp)
        sp.set_defaults(func=func)
        return sp

    sp = p("cluster", "group faces into people, keeping every decision", cmd_cluster)
    sp.add_argument("--far", default=None, help="calibrated FAR whose threshold links faces (default 1e-3; "
                    "--new-only: 1e-4, as a face is compared with every person at once)")
    sp.add_argument("--min-size", type=int, default=2, help="smallest new person (default 2)")
    sp.add_argument("--new-only", action="store_true", help="only place unsorted faces into existing people")
    sp.add_argument("--margin", type=float, default=0.05, help="--new-only: lead over the runner-up (default 0.05)")
    sp.add_argument("--json", action="store_true")
    sp = p("people", "list people", cmd_people)
    sp.add_argument("--all", action="store_true", help="include hidden people")
    sp.add_argument("--json", action="store_true")
    sp = p("name", "name a person", cmd_name)
    sp.add_argument("person")
    sp.add_argument("name", nargs="+")
    sp = p("merge", "merge people into the first", cmd_merge)
    sp.add_argument("target")
    sp.add_argument("sources", nargs="+")
    sp = p("split", "move faces of a person into a new person", cmd_split)
    sp.add_argument("person")
    sp.add_argument("faces", nargs="+", type=int)
    sp.add_argument("--name")
    sp = p("confirm", "confirm faces (as their person, or --person)", cmd_confirm)
    sp.add_argument("faces", nargs="+", type=int)
    sp.add_argument("--person")
    sp = p("reject", "not this person: the faces leave it for good", cmd_reject)
    sp.add_argument("faces", nargs="+", type=int)
    sp.add_argument("--person")
    sp = p("not-face", "mark detections that are not faces", cmd_not_face)
    sp.add_argument("faces", nargs="+", type=int)
    sp = p("hide", "hide a person (--unhide to show again)", cmd_hide)
    sp.add_argument("person")
    sp.add_argument("--unhide", action="store_true")
    p("undo", "undo the last people decision", cmd_undo)
    p("redo", "do again the decision undone last (until a new decision is made)", cmd_redo)
    sp = p("review", "faces and merges most worth a look; bulk accept/reject", cmd_review)
    sp.add_argument("--limit", type=int, default=30)
    sp.add_argument("--accept", nargs="+", metavar="KEY")
    sp.add_argument("--reject", nargs="+", metavar="KEY")
    sp.add_argument("--json", action="store_true")
    sp = p("verify", "same person? two image files or two face ids", cmd_verify)
    sp.add_argument("a")
    sp.add_argument("b")
    sp.add_argument("--far", default="1e-3", choices=FARS)
    sp.add_argument("--device", choices=DEVICES, default="auto")
    sp.add_argument("--json", action="store_true")
    sp = p("export", "person albums, CSV/JSON, or XMP face regions (merged into existing sidecars)", cmd_export)
    sp.add_argument("what", choices=["albums", "csv", "json", "xmp"])
    sp.add_argument("--out", help="folder (albums), file (csv/json); xmp: sidecars beside photos (photo.xmp, or the "
                    "photo.jpg.xmp already there or needed when two photos share a name) unless given")
    sp.add_argument("--mode", choices=["copy", "hardlink", "symlink"], default="copy")
    sp.add_argument("--people", nargs="+", help="only these people (ids or names)")
    sp.add_argument("--with", dest="with_", nargs="+", metavar="PERSON",
                    help="albums: one album of the photos where all of these are together, named after them "
                         "(\"Ann & Ben\")")
    sp.add_argument("--without", nargs="+", metavar="PERSON", help="albums --with: and none of these")
    sp.add_argument("--unnamed", action="store_true", help="albums: unnamed people too; xmp: regions for unnamed people "
                    "too, named \"Person N\" (by default only named people, as other tools show the name as a person)")
    sp.add_argument("--overwrite", action="store_true",
                    help="xmp: replace other tools' sidecars whole instead of merging faceapp's face regions into "
                         "them (either way the original is kept once as <sidecar>.faceapp-bak)")
    sp = p("import", "import face names other tools wrote (XMP sidecars and embedded XMP) as decisions", cmd_import)
    sp.add_argument("what", choices=["xmp"])
    sp.add_argument("--dry-run", action="store_true", help="report what would happen, write nothing")
    sp.add_argument("--json", action="store_true")
    sp = sub.add_parser("calibrate", help="measure verification thresholds on folder-per-person data")
    sp.add_argument("dirs", nargs="+")
    sp.add_argument("--out", help="calibration JSON to write")
    sp.add_argument("--model", help="ONNX model (default: bundled SFace)")
    sp.add_argument("--db", type=Path, default=None,
                    help="also store the calibration with the model in this library (verify and clustering use it)")
    sp.set_defaults(func=cmd_calibrate)

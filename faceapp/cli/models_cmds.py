"""`faceapp models list|use ID|restore|import FILE`: the embedding models a library knows.

A model is registered once per library (its file copied beside the library, see faceapp.jobs.models);
`use` embeds every stored crop with it and makes it active (re-cluster afterwards to regroup people);
`restore` goes back to the bundled model; `import` registers a model file made elsewhere (e.g. by
`faceapp train --albums`) without switching to it unless --use is given; `import-insightface` registers
the recognition model of an insightface model pack already on this computer (faceapp.jobs.insightface_pack)
once its non-commercial licence terms are accepted.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from faceapp.cli import CLIError
from faceapp.cli.common import add_db_option, open_db, print_json


def cmd_list(args: argparse.Namespace) -> int:
    from faceapp.jobs.models import ensure_active_model
    from faceapp.storage import models as model_store

    db = open_db(args)
    ensure_active_model(db)
    rows = []
    for m in model_store.list_models(db):
        meta = model_store.model_row(db, m["id"])["metadata"]
        rows.append({**m, "active": bool(m["active"]), "base_model": meta.get("base_model") or "",
                     "loss": meta.get("loss") or "", "training_data": meta.get("training_data") or "",
                     "license": meta.get("license") or ""})
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        what = f"{r['loss']} on {r['training_data']}" if r["loss"] else "bundled" if not r["base_model"] else ""
        if meta_is_pack(r):
            what = f"{r['training_data']}; licence: {r['license']}"
        print(f"{'*' if r['active'] else ' '} {r['id']:>4}  {r['model_id']:<44} {what}")
    print("* the active model; `faceapp models use ID` switches (then `faceapp cluster`)")
    return 0


def meta_is_pack(row: dict) -> bool:
    return row["model_id"].startswith("insightface-") and bool(row["license"])


def _activate(db, row: int, device: str) -> None:  # noqa: ANN001
    from faceapp.cli.progress_bar import ProgressBar
    from faceapp.jobs.reembed import activate  # refuses a model without measured thresholds

    with ProgressBar() as bar:  # every stored face is embedded again: minutes on a big library
        switched = activate(db, row, device=device, progress=bar)
    if not switched:
        raise CLIError("re-embedding stopped; the old model stays active")


def cmd_use(args: argparse.Namespace) -> int:
    from faceapp.storage import models as model_store

    db = open_db(args)
    try:
        row = model_store.model_row(db, args.id)
    except KeyError:
        raise CLIError(f"no model {args.id} in this library (see `faceapp models list`)") from None
    _activate(db, row["id"], args.device)
    print(f"library now uses {row['model_id']} (model row {row['id']}); re-cluster to regroup people")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from faceapp import paths
    from faceapp.jobs.models import register_model_file

    db = open_db(args)
    rid = register_model_file(db, paths.SFACE)
    _activate(db, rid, args.device)
    print(f"library now uses the bundled model (model row {rid}); re-cluster to regroup people")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from faceapp.core.modelmeta import read_model_info
    from faceapp.jobs.models import register_model_file

    if not args.file.is_file():
        raise CLIError(f"no such file: {args.file}")
    try:
        read_model_info(args.file)
    except Exception as exc:  # noqa: BLE001  (onnx's parse errors have no common type)
        raise CLIError(f"{args.file} is not a faceapp model file: {exc}") from None
    db = open_db(args)
    rid = register_model_file(db, args.file)
    print(f"registered as model row {rid}")
    if args.use:
        _activate(db, rid, args.device)
        print("library now uses it; re-cluster to regroup people")
    return 0


def _pack_folder(args: argparse.Namespace) -> Path | None:
    """DIR as given, or a pack's name under --root; None when DIR is absent or a folder of packs."""
    if args.dir is None:
        return None
    d = args.dir.expanduser()
    if not d.is_dir() and (args.root.expanduser() / str(args.dir)).is_dir():
        d = args.root.expanduser() / str(args.dir)
    if not d.is_dir():
        raise CLIError(f"no such folder: {args.dir} (nor a pack of that name under {args.root})")
    return None if not any(d.glob("*.onnx")) else d


def _list_packs(root: Path) -> int:
    from faceapp.jobs.insightface_pack import find_packs, inspect_pack

    packs = find_packs(root)
    if not packs:
        print(f"no insightface model packs under {root.expanduser()} (faceapp never downloads them)")
        return 0
    print(f"insightface model packs under {root.expanduser()}:")
    for d in packs:
        print(f"  {inspect_pack(d).summary()}")
    print("import one: faceapp models import-insightface DIR (its licence terms are shown first)")
    return 0


def _licence_accepted(args: argparse.Namespace) -> bool:
    import sys
    import textwrap

    from faceapp.jobs.insightface_pack import LICENCE_TERMS

    print("Licence terms of the insightface model packs:\n" + textwrap.fill(LICENCE_TERMS, 100, initial_indent="  ",
                                                                        subsequent_indent="  "))
    if args.accept_licence:
        print("accepted (--accept-licence)")
        return True
    if not sys.stdin.isatty():
        return False
    return input("Accept these terms? [y/N] ").strip().lower() in ("y", "yes")


def cmd_import_insightface(args: argparse.Namespace) -> int:
    from faceapp.jobs.insightface_pack import calibrate_imported, choose, import_pack, inspect_pack

    folder = _pack_folder(args)
    if folder is None:
        return _list_packs(args.dir or args.root)
    pack = inspect_pack(folder, use_insightface=args.with_insightface)  # a PackError is a one-line refusal
    print(pack.summary())
    if choose(pack, "recognition", args.model) is None:
        raise CLIError(f"no recognition model{' named ' + args.model if args.model else ''} in {folder}; "
                       "nothing imported")
    if args.detector and choose(pack, "detection") is None:
        raise CLIError(f"no SCRFD detector in {folder}; nothing imported")
    if args.use and not args.calibrate:
        raise CLIError("--use needs --calibrate DIR: a pack brings no thresholds for faceapp, and clustering "
                       "needs them (labeled photos, a folder per person)")
    if not _licence_accepted(args):
        raise CLIError("licence terms not accepted; nothing imported (pass --accept-licence to accept them)")
    db = open_db(args)
    res = import_pack(db, folder, accept_licence=True, detector=args.detector, model_name=args.model,
                      use_insightface=args.with_insightface)
    rec = res.recognition
    print(f"registered {res.model_id} as model row {res.model_row} (copy: {res.model_path})")
    print(f"preprocessing: RGB, (x - {rec.mean:g}) / {rec.std:g} (read by {rec.via})")
    if res.detector_path is not None:
        print(f"detector copied to {res.detector_path}; scan with it: faceapp scan --detector-model {res.detector_path}")
    if args.calibrate:
        cal = calibrate_imported(db, res.model_row, args.calibrate, progress=print)
        print(f"calibrated on {cal['people']} people, {cal['pairs']['genuine']} genuine pairs: {cal['thresholds']}")
    else:
        print(f"before using it, calibrate it on labeled photos (a folder per person): faceapp calibrate DIR "
              f"--model {res.model_path}{' --db ' + str(args.db) if args.db else ''}")
    if args.use:
        _activate(db, res.model_row, args.device)
        print("library now uses it; re-cluster to regroup people")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="the library's embedding models: list, use, restore, import, import-insightface")
    msub = p.add_subparsers(dest="models_cmd", metavar="ACTION", required=True)
    sp = msub.add_parser("list", help="models registered in the library (* active)")
    add_db_option(sp)
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_list)
    sp = msub.add_parser("use", help="switch to a registered model (embeds every face with it)")
    add_db_option(sp)
    sp.add_argument("id", type=int, help="model row id (faceapp models list)")
    sp.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    sp.set_defaults(func=cmd_use)
    sp = msub.add_parser("restore", help="go back to the bundled model")
    add_db_option(sp)
    sp.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    sp.set_defaults(func=cmd_restore)
    sp = msub.add_parser("import", help="register a model file (copied beside the library)")
    add_db_option(sp)
    sp.add_argument("file", type=Path)
    sp.add_argument("--use", action="store_true", help="also switch to it")
    sp.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    sp.set_defaults(func=cmd_import)
    sp = msub.add_parser("import-insightface", help="register an insightface model pack's recognition model "
                         "(non-commercial research use; never downloaded)")
    add_db_option(sp)
    sp.add_argument("dir", type=Path, nargs="?", help="the pack's folder, or its name under --root; "
                    "absent: list the packs found")
    sp.add_argument("--root", type=Path, default=Path("~/.insightface/models"),
                    help="where insightface keeps its packs (default ~/.insightface/models)")
    sp.add_argument("--accept-licence", action="store_true", help="accept the packs' non-commercial licence terms")
    sp.add_argument("--detector", action="store_true", help="also copy the pack's SCRFD detector beside the library")
    sp.add_argument("--model", help="the recognition file when the pack has several")
    sp.add_argument("--calibrate", nargs="+", metavar="DIR",
                    help="measure its thresholds on labeled photos (a folder per person) right away")
    sp.add_argument("--use", action="store_true", help="also switch to it (needs --calibrate)")
    sp.add_argument("--with-insightface", action="store_true",
                    help="let the installed insightface package's model_zoo tell each file's role (it is not "
                    "needed; importing it opens a local IPv6 socket, see faceapp/jobs/insightface_pack.py)")
    sp.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    sp.set_defaults(func=cmd_import_insightface)

"""`faceapp models list|use ID|restore|import FILE`: the embedding models a library knows.

A model is registered once per library (its file copied beside the library, see faceapp.jobs.models);
`use` embeds every stored crop with it and makes it active (re-cluster afterwards to regroup people);
`restore` goes back to the bundled model; `import` registers a model file made elsewhere (e.g. by
`faceapp train --albums`) without switching to it unless --use is given.
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
                     "loss": meta.get("loss") or "", "training_data": meta.get("training_data") or ""})
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        what = f"{r['loss']} on {r['training_data']}" if r["loss"] else "bundled" if not r["base_model"] else ""
        print(f"{'*' if r['active'] else ' '} {r['id']:>4}  {r['model_id']:<44} {what}")
    print("* the active model; `faceapp models use ID` switches (then `faceapp cluster`)")
    return 0


def _activate(db, row: int, device: str) -> None:  # noqa: ANN001
    from faceapp.jobs.reembed import activate

    if not activate(db, row, device=device):
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


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="the library's embedding models: list, use, restore, import")
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

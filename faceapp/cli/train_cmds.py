"""`faceapp train`: fine-tune the embedding model on labeled albums or on the library's named people,
export it, and (for a library) make it the active model. torch is imported only when it runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from faceapp.cli import CLIError
from faceapp.loss_catalogue import NAMES

LOSS_NAMES = list(NAMES)  # faceapp.loss_catalogue: the one list of losses


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="fine-tune the embedding model on your labeled people (needs torch)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--albums", type=Path, help="folder with a sub-folder of photos per person")
    src.add_argument("--aligned", type=Path, help="folder per person of already aligned 112×112 crops")
    p.add_argument("--db", type=Path, help="library: train on its named and confirmed people; with --albums or "
                   "--aligned, the library the trained model is registered in (and switched to)")
    p.add_argument("--loss", choices=LOSS_NAMES, default=None,
                   help="training loss (default: the config file's, else the trainer's, adacos: "
                        "see faceapp bench losses)")
    p.add_argument("--param", action="append", default=[], metavar="K=V", help="loss parameter, e.g. m=0.5 (repeatable)")
    p.add_argument("--epochs", type=int, default=None, help="most epochs (early stopping may end sooner)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--trainable-units", type=int, default=None, help="train only the last N conv units (CPU default 2)")
    p.add_argument("--all-assigned", action="store_true", help="--db: use every assigned face of named people, "
                   "not only those the user confirmed")
    p.add_argument("--out", type=Path, default=None, help="folder for model.onnx, report.json/png, checkpoints")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    p.add_argument("--keep-checkpoint", action="store_true",
                   help="keep --out/checkpoint.pt after the run finishes (to train on later with --resume)")
    p.add_argument("--no-activate", action="store_true", help="--db: register the new model in the library but "
                   "do not switch to it")
    p.add_argument("--config", type=Path, help="JSON/TOML file of TrainConfig fields (flags override it)")
    p.set_defaults(func=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    try:
        import torch  # noqa: F401
    except ImportError:
        raise CLIError("training needs PyTorch: pip install 'faceapp[train]' (torch==2.13.0 on CPU)") from None
    from datetime import datetime, timezone

    from faceapp import paths
    from trainer.config import TrainConfig, parse_param
    from trainer.outcome import outcome
    from trainer.pipeline import run_finetune

    if not (args.albums or args.aligned or args.db):
        raise CLIError("say what to train on: --db LIBRARY, --albums DIR or --aligned DIR")
    if args.db and not args.db.exists():
        raise CLIError(f"no such library: {args.db}")
    cfg = TrainConfig.from_file(args.config)[0] if args.config else TrainConfig()
    cfg.loss = args.loss or cfg.loss  # a config file's loss holds unless --loss is given
    cfg.device, cfg.resume = args.device, args.resume
    cfg.keep_checkpoint = cfg.keep_checkpoint or args.keep_checkpoint
    try:
        cfg.loss_params = {**cfg.loss_params, **dict(parse_param(t) for t in args.param)}
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    if args.epochs is not None:
        cfg.epochs = args.epochs
    if args.trainable_units is not None:
        cfg.trainable_units = args.trainable_units
    out = args.out or paths.data_dir() / "training" / f"{cfg.loss}-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}"
    data, source = _load(args, cfg.anchors_wanted())
    reasons = {"no-face": "no face found", "not-found": "none of its faces looks like the album's person",
               "ambiguous": "two faces look about equally like the album's person"}
    for src, why in data.skipped[:20]:
        print(f"left out {src}: {reasons.get(why, why)}")
    if len(data.skipped) > 20:
        print(f"… and {len(data.skipped) - 20} more (see report.json)")
    try:
        report = run_finetune(data, cfg, out, source)
    except ValueError as exc:
        raise CLIError(str(exc) + _confirm_hint(args, data)) from None
    result = outcome(report)
    print(f"report: {out / 'report.json'} and {out / 'report.png'}")
    if not result.improved:
        print(result.message)
        return 0
    print(f"{result.message}\nmodel: {report['model_path']}")
    if args.db and args.no_activate:
        rid = register_trained(args.db, report["model_path"])
        print(f"registered in {args.db.name} as model row {rid} (switch with `faceapp models use {rid}`)")
    elif args.db:
        rid = activate_trained(args.db, report["model_path"], args.device)
        print(f"library now uses {report['model_id']} (model row {rid}); re-cluster to regroup people"
              if rid else "re-embedding stopped; the old model stays active")
    return 0


def register_trained(db_path: Path, model_path: str) -> int:
    """Register the trained model in the library (its file copied beside it) without switching."""
    from faceapp.jobs.models import register_model_file
    from faceapp.storage.db import open_library

    db = open_library(db_path)
    try:
        return register_model_file(db, model_path)
    finally:
        db.conn.close()


def activate_trained(db_path: Path, model_path: str, device: str = "auto") -> int | None:
    """Register the trained model in the library, embed every crop with it and make it active."""
    from faceapp.jobs.reembed import switch_model
    from faceapp.storage.db import open_library

    db = open_library(db_path)
    try:
        return switch_model(db, model_path, device=device)
    finally:
        db.conn.close()


def _confirm_hint(args: argparse.Namespace, data) -> str:  # noqa: ANN001
    """What to do when a library run found too little: by default it learns only from the faces the user
    confirmed, and naming a person confirms none of them."""
    if not args.db or args.albums or args.aligned or args.all_assigned:
        return ""
    whose = f" of {data.num_classes} named people" if data.num_classes else ""
    return (f" (found {len(data)} confirmed faces{whose}: `--db` learns from the faces you "
            "confirmed; confirm some with `faceapp confirm FACE... --person ID`, or add --all-assigned to learn from "
            "every face of your named people)")


def _load(args: argparse.Namespace, anchors: int = 0):  # noqa: ANN202
    from trainer.data.spec import DataSpec, load_data

    if args.albums:
        spec = DataSpec("albums", args.albums)
    elif args.aligned:
        spec = DataSpec("aligned", args.aligned)
    else:
        spec = DataSpec("db", args.db, confirmed_only=not args.all_assigned, anchors=anchors)
    try:
        return load_data(spec)
    except ValueError as exc:
        raise CLIError(str(exc)) from None

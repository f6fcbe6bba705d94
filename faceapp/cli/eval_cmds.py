"""`faceapp eval clusters DIR` and `faceapp eval pairs PAIRS_FILE ROOT`: accuracy figures, base model by default."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from faceapp.cli import CLIError
from faceapp.cli.common import print_json, print_mapping
from faceapp.jobs.labeled import HALVES, labeled_faces


def _table(rows: list[dict], cols: list[str]) -> None:
    print("  ".join(f"{c:>15}" for c in cols))
    for r in rows:
        print("  ".join(f"{r[c]:>15.4f}" if isinstance(r[c], float) else f"{r[c]!s:>15}" for c in cols))


def cmd_eval_clusters(args: argparse.Namespace) -> int:
    from faceapp.bench.cluster_eval import compare
    from faceapp.cli.progress_bar import ProgressBar
    from faceapp.core.cluster import refine_threshold_from_calibration, threshold_from_calibration
    from faceapp.jobs.recluster import model_far_curve
    from faceapp.jobs.scan import Scanner
    from faceapp.jobs.verify import model_thresholds
    from faceapp.storage.db import open_library

    root = Path(args.dir)
    if not root.is_dir():
        raise CLIError(f"no such folder: {root}")
    tmp = None
    if args.db is None:
        tmp = tempfile.TemporaryDirectory(prefix="faceapp-eval-")
        args.db = Path(tmp.name) / "eval.db"
    db = open_library(args.db)
    t0 = time.perf_counter()
    with ProgressBar() as bar:
        stats = Scanner(db).scan([root], progress=bar)
    scan_s = time.perf_counter() - t0
    th = model_thresholds(db)
    t = threshold_from_calibration(th, args.far)
    refine = refine_threshold_from_calibration(th, args.far)
    curve = model_far_curve(db)
    ids, x, photo, labeled, truth, faceless = labeled_faces(db, root, args.people)
    if not labeled.any():
        raise CLIError(f"no faces found under {root}")
    methods = ["faceapp"] + ([] if args.only_faceapp else ["immich-dbscan", "hdbscan-default"])
    extra = {}
    if args.sweep:  # sensitivity to the calibrated FAR level (for reading, not for choosing on these labels)
        from faceapp.bench.cluster_eval import run_faceapp

        extra = {f"faceapp@{far}": (lambda v=v, far=far: run_faceapp(x, photo, v, refine_threshold_from_calibration(th, far), curve))
                 for far, v in sorted(th.items()) if far != args.far}
    labels: dict[str, np.ndarray] = {}
    rows = compare(x, photo, labeled, truth, t, refine, methods=methods, extra=extra, far_curve=curve, labels_out=labels)
    info = {"dir": str(root), "photos_scanned": stats.processed, "photos_unchanged": stats.skipped,
            "faces": int(len(ids)), "labeled_faces": int(labeled.sum()), "people": len(set(truth)),
            "photos_without_face": faceless, "people_half": args.people, "threshold": round(t, 4), "refine": round(refine, 4) if refine else None, "far": args.far, "scan_seconds": round(scan_s, 1)}
    oracle = None
    if args.oracle:  # where faceapp's loss lies (labels known): for reading, not for choosing
        from faceapp.bench.cluster_oracle import oracle_report, separability

        oracle = {k: round(v, 4) for k, v in oracle_report(x, labels["faceapp"], labeled, truth).items()}
        sep = {k: round(v, 4) for k, v in separability(x[labeled], truth).items()}
    if args.json:
        print_json({**info, "methods": rows, **({"oracle_bcubed_f": oracle, "separability": sep} if oracle else {})})
    else:
        print("  ".join(f"{k}={v}" for k, v in info.items()))
        _table(rows, ["method", "bcubed_p", "bcubed_r", "bcubed_f", "pairwise_p", "pairwise_r", "pairwise_f", "nmi",
                      "clusters", "unsorted", "seconds"])
        if oracle:
            print("faceapp BCubed F with one kind of error fixed by the labels: "
                  + "  ".join(f"{k}={v}" for k, v in oracle.items()))
            print("the embeddings alone, labels known (share of labeled faces): "
                  + "  ".join(f"{k}={v}" for k, v in sep.items()))
    if tmp:
        db.conn.close()
        tmp.cleanup()
    return 0


def read_pairs(pairs_file: Path, root: Path) -> tuple[list[tuple[str, str]], np.ndarray]:
    """LFW pairs.txt: a header line, then `name i j` (same) or `name1 i name2 j` (different)."""
    lines = [ln.split() for ln in pairs_file.read_text().splitlines() if ln.strip()]
    if lines and len(lines[0]) <= 2 and all(t.isdigit() for t in lines[0]):
        lines = lines[1:]

    def path(name: str, i: str) -> str:
        fn = f"{name}_{int(i):04d}.jpg"
        nested = root / name / fn
        return str(nested if nested.exists() else root / fn)

    pairs, same = [], []
    for t in lines:
        if len(t) == 3:
            pairs.append((path(t[0], t[1]), path(t[0], t[2])))
            same.append(True)
        elif len(t) == 4:
            pairs.append((path(t[0], t[1]), path(t[2], t[3])))
            same.append(False)
        else:
            raise CLIError(f"not an LFW pairs line: {' '.join(t)}")
    return pairs, np.array(same, bool)


def cmd_eval_pairs(args: argparse.Namespace) -> int:
    from faceapp import paths
    from faceapp.core.embed import Embedder
    from faceapp.core.metrics import roc_tar_at_far, tenfold_accuracy
    from faceapp.jobs.embed_files import embed_files

    pairs, same = read_pairs(Path(args.pairs_file), Path(args.root))
    if len(pairs) < 10 or same.all() or not same.any():
        raise CLIError("need at least 10 pairs, both same and different")
    files = sorted({p for pr in pairs for p in pr})
    embedder = Embedder(args.model or paths.SFACE, device=args.device, flip_tta=args.flip)
    emb, found = embed_files(files, embedder)
    pos = {f: i for i, f in enumerate(files)}
    a = np.array([pos[p] for p, _ in pairs])
    b = np.array([pos[q] for _, q in pairs])
    ok = found[a] & found[b]
    scores = np.where(ok, np.einsum("ij,ij->i", emb[a], emb[b]), -1.0)  # no face: counted as "different"
    acc, std, ts = tenfold_accuracy(scores, same, folds=10)
    out = {"pairs": int(len(pairs)), "genuine": int(same.sum()), "impostor": int((~same).sum()),
           "pairs_without_face": int((~ok).sum()), "model": embedder.info.model_id,
           "accuracy_10fold": round(acc, 4), "accuracy_std": round(std, 4), "threshold_mean": round(float(np.mean(ts)), 4)}
    for far in ("1e-2", "1e-3"):
        tar, thr = roc_tar_at_far(scores, same, float(far))
        out[f"tar_at_far_{far}"] = round(tar, 4)
        out[f"threshold_at_far_{far}"] = round(thr, 4)
    print_mapping(out, args.json, width=22)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="accuracy benchmarks: clustering on labeled folders, verification on pairs")
    esub = p.add_subparsers(dest="eval", metavar="EVAL")
    c = esub.add_parser("clusters", help="scan folder-per-person photos, cluster, print BCubed/pairwise P/R/F and NMI")
    c.add_argument("dir")
    c.add_argument("--db", type=Path, default=None, help="library to scan into and keep (default: a temporary one)")
    c.add_argument("--far", default="1e-3", help="calibrated FAR whose threshold links faces (default 1e-3)")
    c.add_argument("--only-faceapp", action="store_true", help="skip the DBSCAN and HDBSCAN baselines")
    c.add_argument("--sweep", action="store_true", help="also run faceapp at the other calibrated FAR levels")
    c.add_argument("--people", choices=HALVES, default="all",
                   help="cluster only a deterministic half of the people (sorted folders, alternate): explore on "
                        "dev, report on test (default all)")
    c.add_argument("--oracle", action="store_true",
                   help="also print faceapp's F with split people, unsorted faces or impurities fixed from the labels")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_eval_clusters)
    q = esub.add_parser("pairs", help="LFW-format pairs: 10-fold accuracy, TAR at FAR 1e-2 and 1e-3")
    q.add_argument("pairs_file")
    q.add_argument("root", help="image folder: ROOT/Name/Name_0001.jpg or ROOT/Name_0001.jpg")
    q.add_argument("--model", default=None, help="ONNX model (default: bundled SFace)")
    q.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    q.add_argument("--flip", action="store_true")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_eval_pairs)

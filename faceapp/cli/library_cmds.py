"""scan, faces, info, embed: building and reading the face library."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from faceapp import paths
from faceapp.cli import CLIError
from faceapp.cli.common import add_db_option, open_db, print_json, print_mapping
from faceapp.types import DEVICES


def _in_range(kind: type, lo: float | None = None, hi: float | None = None, *, open_ends: bool = False, words: str = ""):
    """An argparse type that refuses values outside [lo, hi] (or (lo, hi)) with a clear message."""

    def parse(text: str):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {'whole ' if kind is int else ''}number") from None
        bad = (lo is not None and (v <= lo if open_ends else v < lo)) or (hi is not None and (v >= hi if open_ends else v > hi))
        if bad or v != v:  # NaN is never in range
            raise argparse.ArgumentTypeError(f"{text} is out of range: {words}")
        return v

    return parse


# faceapp.core.detect.DET_SIZE_RANGE, not imported here: building the parser stays free of OpenCV.
DET_SIZE_RANGE = (32, 4096)


def _detector_options(p: argparse.ArgumentParser) -> None:
    lo, hi = DET_SIZE_RANGE
    p.add_argument("--det-size", type=_in_range(int, lo, hi, words=f"from {lo} to {hi} pixels"), default=640,
                   help=f"long side the detector sees, {lo}-{hi} (default 640)")
    p.add_argument("--det-threshold", type=_in_range(float, 0.0, 1.0, open_ends=True, words="between 0 and 1"), default=0.7,
                   help="detector score threshold, between 0 and 1 (default 0.7)")
    p.add_argument("--min-face", type=_in_range(int, 0, words="0 pixels or more"), default=20,
                   help="smallest face, pixels of the photo (default 20)")
    p.add_argument("--detector-model", default=None, help="a local SCRFD/RetinaFace ONNX file instead of YuNet")
    p.add_argument("--device", choices=DEVICES, default="auto")


def _detector_settings(args: argparse.Namespace):
    from faceapp.core.detect import DetectorSettings

    return DetectorSettings(long_side=args.det_size, score_threshold=args.det_threshold, min_face=args.min_face,
                            model_path=args.detector_model)


def cmd_scan(args: argparse.Namespace) -> int:
    from faceapp.cli.progress_bar import ProgressBar
    from faceapp.jobs.scan import Scanner, ScanSettings
    from faceapp.storage.roots import add_root, list_roots

    for r in args.paths:
        if not Path(r).exists():
            raise CLIError(f"no such file or folder: {r}")
    db = open_db(args)
    if args.paths:  # a folder scanned is one of the library's folders (the GUI lists and rescans it)
        roots = args.paths
        for r in roots:
            if Path(r).is_dir():
                add_root(db, r)
    else:  # the library's folders again; the sample album for a new library
        roots = list_roots(db) or [add_root(db, paths.SAMPLE_ALBUM)]
        for r in [r for r in roots if not Path(r).is_dir()]:
            print(f"warning: library folder not found, skipped (unplugged drive?): {r}", file=sys.stderr)
        roots = [r for r in roots if Path(r).is_dir()]
        if not roots:
            raise CLIError("none of the library's folders is there now; nothing was scanned or changed")
    settings = ScanSettings(detector=_detector_settings(args), device=args.device, flip_tta=args.flip)
    if args.workers:
        settings.workers = args.workers
    scanner = Scanner(db, settings)
    with ProgressBar(show=not args.quiet) as bar:
        stats = scanner.scan(roots, progress=bar)
    if args.json:
        print_json(stats.as_dict())
        return 0
    print(f"{'stopped' if stats.cancelled else 'done'}: {stats.found} image files, {stats.processed} scanned, "
          f"{stats.skipped} unchanged, {stats.moved} moved, {stats.missing} missing")
    print(f"faces: {stats.faces} ({stats.assigned} joined known people)   errors: {sum(stats.errors.values())}"
          + ("".join(f"\n  {k}: {v}" for k, v in sorted(stats.errors.items()))))
    print(f"time: {stats.seconds:.1f} s   {stats.photos_per_s:.1f} photos/s   {stats.faces_per_s:.1f} faces/s   "
          f"embedding on {stats.provider or '-'}")
    print(f"library: {args.db or paths.default_db()}")
    if stats.xmp_names:
        print(f"{stats.xmp_names} photos carry face names from other tools: `faceapp import xmp` makes them yours")
    return 130 if stats.cancelled else 0


def cmd_faces(args: argparse.Namespace) -> int:
    from faceapp.storage.faces import face_rows

    db = open_db(args)
    rows = face_rows(db)
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        print(f"{r['id']:>7}  {r['path']}  box=({r['x']:.0f},{r['y']:.0f},{r['w']:.0f},{r['h']:.0f})  "
              f"score={r['score']:.2f}  quality={r['quality']:.2f}")
    print(f"{len(rows)} faces")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    import onnxruntime as ort

    from faceapp import __version__
    from faceapp.storage import models as model_store
    from faceapp.storage.faces import face_count
    from faceapp.storage.photos import counts, error_summary

    db = open_db(args)
    model = model_store.active_model(db)
    info = {
        "version": __version__,
        "database": str(args.db or paths.default_db()),
        "photos": counts(db),
        "faces": face_count(db),
        "errors": error_summary(db),
        "active_model": model["model_id"] if model else None,
        "models": model_store.list_models(db),
        "onnxruntime": ort.__version__,
        "providers_available": ort.get_available_providers(),
    }
    print_mapping(info, args.json)
    return 0


def cmd_embed(args: argparse.Namespace) -> int:
    import numpy as np

    from faceapp.core.embed import Embedder
    from faceapp.jobs.embed_files import embed_files

    files = [ln.strip() for ln in Path(args.list).read_text().splitlines() if ln.strip()]
    if not files:
        raise CLIError(f"{args.list} lists no files")
    embedder = Embedder(args.model or paths.SFACE, device=args.device, flip_tta=args.flip)
    emb, found = embed_files(files, embedder, _detector_settings(args), subject=args.subject)
    np.savez(args.out, paths=np.array(files), emb=emb, found=found)
    print(f"{found.sum()}/{len(files)} images with a face → {args.out} ({embedder.provider})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scan", help="scan photo folders into the library (a folder scanned is remembered as one of the "
                       "library's folders)")
    p.add_argument("paths", nargs="*", help="folders or files (none: the library's folders again; the sample "
                   "album for a new library)")
    add_db_option(p)
    _detector_options(p)
    p.add_argument("--workers", type=_in_range(int, 1, 1024, words="1 or more"), default=0,
                   help="decode/detect threads (default: one per core)")
    p.add_argument("--flip", action="store_true", help="flip test-time augmentation for embeddings")
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("faces", help="list the faces in the library")
    add_db_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_faces)

    p = sub.add_parser("info", help="library and runtime information")
    add_db_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("embed", help="embed one subject face per image listed in a file → .npz")
    p.add_argument("--list", required=True, help="text file, one image path per line")
    p.add_argument("--out", required=True, help="output .npz (paths, emb, found)")
    p.add_argument("--subject", choices=["largest", "center"], default="largest")
    p.add_argument("--model", default=None, help="ONNX embedding model (default: bundled SFace)")
    p.add_argument("--flip", action="store_true")
    _detector_options(p)
    p.set_defaults(func=cmd_embed)

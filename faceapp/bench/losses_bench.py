"""`faceapp bench losses`: every loss fine-tuned on half of celeba_dev's people, against the base
model in the same run (held-out photos of the trained people; people never trained on).

The work lives in trainer.bench (torch), imported only when the benchmark runs. Aligned crops and
the frozen trunk's features are cached (default: the user cache dir), so a second run skips the
detection pass and the trunk.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from faceapp.errors import FaceappError

DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "celeba_dev"


def register_bench(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("losses", help="fine-tune with every loss on celeba_dev and compare with the base model")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder per person (default ../shared/data/celeba_dev)")
    p.add_argument("--cache", type=Path, default=None, help="cache folder for crops and trunk features")
    p.add_argument("--losses", default=None, help="comma-separated subset (default: all)")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu")
    p.add_argument("--trainable-units", type=int, default=2, help="conv units fine-tuned (default 2; more on a GPU)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, default=None, help="write the full figures here")
    p.set_defaults(func=cmd_losses)


def cmd_losses(args: argparse.Namespace) -> int:
    try:
        import torch  # noqa: F401
    except ImportError:
        raise FaceappError("this benchmark needs PyTorch: pip install torch==2.13.0") from None
    from platformdirs import user_cache_dir

    from trainer.bench import DEFAULT_LOSSES, print_table, run
    from trainer.config import TrainConfig

    if not args.data.is_dir():
        raise FaceappError(f"no data at {args.data} (research data, never committed; see DESIGN.md)")
    cache = args.cache or Path(user_cache_dir("faceapp", appauthor=False)) / "bench"
    cfg = TrainConfig(device=args.device, trainable_units=args.trainable_units)
    if args.epochs:
        cfg.epochs = args.epochs
    losses = tuple(args.losses.split(",")) if args.losses else DEFAULT_LOSSES
    report = run(args.data, cache, losses, cfg, seed=args.seed, out=args.json)
    print()
    print_table(report)
    return 0

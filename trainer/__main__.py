"""`python -m trainer CONFIG`: research runs from a config file (JSON or TOML).

    {"data": {"albums": "DIR"} | {"aligned": "DIR"} | {"db": "FILE"}, "out": "DIR",
     "train": {TrainConfig fields: loss, loss_params, backbone, epochs, device, ...}}

Several GPUs: `torchrun --nproc_per_node N -m trainer CONFIG` (DistributedDataParallel).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from trainer.config import TrainConfig
from trainer.data.spec import DataSpec, load_data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m trainer", description=__doc__.split("\n\n")[0])
    ap.add_argument("config", type=Path)
    args = ap.parse_args(argv)
    cfg, raw = TrainConfig.from_file(args.config)
    out = Path(raw.get("out", "runs/trainer"))
    try:
        data, source = load_data(DataSpec.from_config(raw.get("data", {})))
    except ValueError as exc:
        ap.error(str(exc))
    from trainer.pipeline import run_finetune

    if int(os.environ.get("RANK", 0)) == 0 or int(os.environ.get("WORLD_SIZE", 1)) == 1:
        run_finetune(data, cfg, out, source)
    else:
        run_finetune(data, cfg, out, source, log=lambda s: None, progress=lambda p: None)
    return 0


if __name__ == "__main__":
    sys.exit(main())

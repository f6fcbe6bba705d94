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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m trainer", description=__doc__.split("\n\n")[0])
    ap.add_argument("config", type=Path)
    args = ap.parse_args(argv)
    cfg, raw = TrainConfig.from_file(args.config)
    data_spec, out = raw.get("data", {}), Path(raw.get("out", "runs/trainer"))
    if "albums" in data_spec:
        from trainer.data.albums import load_albums

        data, source = load_albums(data_spec["albums"]), f"albums {Path(data_spec['albums']).name}"
    elif "aligned" in data_spec:
        from trainer.data.faceset import load_aligned_folders

        data, source = load_aligned_folders(data_spec["aligned"]), f"aligned {Path(data_spec['aligned']).name}"
    elif "db" in data_spec:
        from faceapp.storage.db import open_library
        from trainer.data.library import load_library

        data, source = load_library(open_library(data_spec["db"])), f"library {Path(data_spec['db']).name}"
    else:
        ap.error("config needs data.albums, data.aligned or data.db")
    from trainer.pipeline import run_finetune

    if int(os.environ.get("RANK", 0)) == 0 or int(os.environ.get("WORLD_SIZE", 1)) == 1:
        run_finetune(data, cfg, out, source)
    else:
        run_finetune(data, cfg, out, source, log=lambda s: None, progress=lambda p: None)
    return 0


if __name__ == "__main__":
    sys.exit(main())

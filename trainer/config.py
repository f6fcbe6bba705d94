"""Training settings, one dataclass, loadable from a JSON/TOML config file (`python -m trainer`)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from faceapp.loss_catalogue import DEFAULT


@dataclass
class TrainConfig:
    loss: str = DEFAULT  # "adacos": faceapp bench losses, seeds 0 and 1 (one-SE selection): largest gain on trained people, strangers within 0.5
    loss_params: dict = field(default_factory=dict)
    backbone: str = "sface"  # 'sface' fine-tunes the base model; others train from scratch
    base_model: str | None = None  # ONNX file of the base SFace model (default: bundled)
    epochs: int = 6
    batch_size: int = 64  # classification losses; pair/triplet losses use P×K
    p: int = 16
    k: int = 4
    offline_mining: bool = False  # triplet only: mine semi-hard triplets over a subset each epoch
    lr: float = 1e-4  # backbone (tail); higher drifts away from what the base model knows about strangers
    head_lr: float = 1e-3  # class weights of classification losses
    weight_decay: float = 5e-4
    distill: float = 2.0  # weight of mean(1 − cos(f(x), f_base(x))): keeps strangers' geometry (LwF)
    anchor_distill: float = 0.0  # the same pull on a batch of the library's unlabeled faces each step; harness on bench family dev (4 units, distill 6): family +1.45 → +1.00 (it holds the family's own hard faces too), so off
    anchor_faces: int = 2000  # most unlabeled faces read as anchors
    head_warmup: int = 1  # epochs training only the class weights first (LP-FT); 0 to skip
    wise_alphas: tuple = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)  # WiSE-FT blends also scored each epoch
    guard_se: float = 0.0  # a candidate may cost the guard people this many jackknife SEs of their score (0: nothing); 8 units + distill 6 need 1.0 or the guard vetoes every epoch
    select_se: float = 1.0  # keep the candidate nearest the base model within this many SEs of the best; 0: the best
    refit: bool = False  # train the kept recipe (epochs, blend) again on every face; bench family dev: +0.08 family, +0.31 strangers over shift alone (noise level; not on test yet)
    refit_whole: bool = False  # the refit trains cfg.epochs unblended (the recipe the selection tested), not the kept candidate's; see README (bench family)
    threshold_shift: bool = True  # faceapp bench family (dev): strangers −0.80 → +0.01 points. New thresholds: the base model's calibration moved by the shift measured at FAR 1e-2
    linear_adapt: bool = False  # also try a per-library WCCN map (trainer.adapt), kept when validation says so; bench family dev: never kept
    l2sp: float = 0.0  # weight of Σ‖w − w_base‖² over trainable weights (L2-SP)
    device: str = "auto"  # auto | cpu | cuda
    trainable_units: int | None = None  # None: last 2 conv units on CPU, everything on CUDA
    freeze_bn: bool = True  # keep BatchNorm statistics of the base model while fine-tuning
    init_head_from_centres: bool = True
    amp: bool = True  # mixed precision on CUDA
    augment: bool = True
    val_fraction: float = 0.15  # of each person's training faces, for early stopping and calibration
    patience: int = 2  # epochs without improvement on the held-out faces before stopping
    seed: int = 0
    out_dir: str | None = None  # checkpoints; resume from out_dir/checkpoint.pt when resume=True
    resume: bool = False
    keep_checkpoint: bool = False  # run_finetune removes out_dir/checkpoint.pt (~300 MB on CPU) once a run has finished
    workers: int = 2

    def anchors_wanted(self) -> int:
        """How many of the library's unlabeled faces this run uses (anchor distillation, a refit's shift)."""
        return self.anchor_faces if self.anchor_distill > 0 or self.refit else 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown config keys: {', '.join(sorted(unknown))}")
        return cls(**d)

    @classmethod
    def from_file(cls, path: str | Path) -> tuple[TrainConfig, dict]:
        """(TrainConfig from the [train] table or top level, the whole file as a dict)."""
        text = Path(path).read_text()
        if str(path).endswith(".toml"):
            import tomllib  # Python 3.11+; JSON configs work everywhere

            raw = tomllib.loads(text)
        else:
            raw = json.loads(text)
        return cls.from_dict(raw.get("train", {k: v for k, v in raw.items() if k in {f.name for f in fields(cls)}})), raw


def parse_param(text: str) -> tuple[str, object]:
    """'m=0.5' → ('m', 0.5); values are JSON where they parse (numbers, true/false), else strings."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ValueError(f"--param wants key=value, got {text!r}")
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value

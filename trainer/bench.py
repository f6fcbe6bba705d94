"""`faceapp bench losses`: fine-tune with every loss on half of celeba_dev's people, compare with the
base model in the same run on (1) held-out photos of the trained people and (2) people never seen.

Split (seeded): people 50/50 → 'seen' / 'unseen'; each seen person's faces 70% train / 30% held
out; 15% of the training faces are the validation faces (early stopping). 15% of the seen people
are 'guard' people, never trained: a candidate (an epoch's weights, or their WiSE-FT blend with the
base model at α < 1) only counts if their score holds (engine.train), and thresholds are calibrated
on validation + guard faces, for the base model as well, so both sides are calibrated the same way.
Nothing is chosen on the unseen people: they are the test. The aligned crops and the frozen trunk's
features are cached, so the detection pass and the trunk run once, not per loss.

What is kept, the same rule for every loss (engine.train, cfg.select_se): among the candidates
whose guard score holds, the one nearest the base model in weight space whose validation score is
within one standard error (bootstrap over the validation people, paired) of the best — the
one-standard-error rule pointed at the base model. Keeping simply the best on ~180 validation faces
cost strangers up to 0.92 points of TAR@1e-3 (cosface, seed 1): differences that small in validation
score are noise, and the candidate that moved least risks least for people never trained on.

Table columns: 'epochs' is kept epoch / epochs run (0: the base model is returned, because nothing
beat it or nothing was distinguishable from it within the noise), 'α' the kept blend's weight of the
fine-tuned model (grid 0.1…1).
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from faceapp.loss_catalogue import NAMES
from trainer.config import TrainConfig
from trainer.data.faceset import FaceSet, split_guard

DEFAULT_LOSSES = NAMES  # every loss of faceapp.loss_catalogue


def load_dataset(root: Path, cache: Path) -> FaceSet:
    if cache.exists():
        return FaceSet.load(cache)
    from trainer.data.albums import load_albums

    t = time.time()
    fs = load_albums(root, progress=lambda p: print(f"\rdetecting faces {p.done}/{p.total}", end="", flush=True))
    print(f"\n{len(fs)} faces of {fs.num_classes} people in {time.time() - t:.0f} s; {len(fs.skipped)} photos left out")
    cache.parent.mkdir(parents=True, exist_ok=True)
    fs.save(cache)
    return fs


def _features(trunk, sets: dict[str, FaceSet], cache: Path) -> dict[str, np.ndarray]:  # noqa: ANN001
    from trainer.features import trunk_features

    if cache.exists():
        z = np.load(cache)
        return {k: z[k] for k in z.files}
    t = time.time()
    out = {"train": trunk_features(trunk, sets["train"].crops),
           "train_flip": trunk_features(trunk, sets["train"].crops, flip=True)}
    for k in ("val", "heldout", "unseen", "guard"):
        out[k] = trunk_features(trunk, sets[k].crops)
    print(f"trunk features of {sum(len(v) for v in out.values())} crops in {time.time() - t:.0f} s")
    np.savez(cache, **out)
    return out


def run(root: Path, cache_dir: Path, losses: tuple[str, ...] = DEFAULT_LOSSES, cfg: TrainConfig | None = None,
        seed: int = 0, out: Path | None = None) -> dict:
    from trainer.backbones import load_sface
    from trainer.engine import train
    from trainer.evaluate import calibrate, evaluate
    from trainer.features import tail_embed

    cfg = cfg or TrainConfig()
    units = cfg.trainable_units if cfg.trainable_units is not None else 2
    fs = load_dataset(root, cache_dir / "celeba_dev_faces.npz")
    seen, unseen = fs.split_people(0.5, seed)
    train_all, heldout = seen.split_photos(0.7, seed)
    tr, val = train_all.split_photos(1 - cfg.val_fraction, seed)
    tr, val, heldout, guard = split_guard(tr, val, heldout, seed)
    sets = {"train": tr, "val": val, "heldout": heldout, "unseen": unseen, "guard": guard}
    trunk, _ = load_sface(cfg.base_model).split(units)
    feats = _features(trunk, sets, cache_dir / f"celeba_dev_trunk_u{units}_s{seed}_g.npz")
    cal_labels = np.concatenate([val.labels, guard.labels + val.num_classes])

    def score(tail) -> dict:  # noqa: ANN001
        emb = {k: tail_embed(tail, feats[k]) for k in ("val", "heldout", "unseen", "guard")}
        thr = calibrate(np.concatenate([emb["val"], emb["guard"]]), cal_labels)
        return {"thresholds": thr, "heldout": evaluate(emb["heldout"], heldout.labels, thr),
                "unseen": evaluate(emb["unseen"], unseen.labels, thr)}

    print(f"people: {tr.num_classes} trained ({len(tr)} train / {len(val)} val / {len(heldout)} held-out faces), "
          f"{guard.num_classes} guard ({len(guard)} faces, never trained), {unseen.num_classes} unseen ({len(unseen)} faces)")
    report = {"split": {"train": len(tr), "val": len(val), "heldout": len(heldout), "unseen": len(unseen),
                        "guard": len(guard), "seen_people": tr.num_classes, "guard_people": guard.num_classes,
                        "unseen_people": unseen.num_classes, "seed": seed},
              "base": score(load_sface(cfg.base_model).split(units)[1]), "losses": {}}
    for name in losses:
        c = replace(cfg, loss=name, trainable_units=units, device="cpu" if cfg.device == "auto" else cfg.device)
        t = time.time()
        res = train(c, tr, val, progress=None, features={"train": feats["train"], "train_flip": feats["train_flip"],
                                                           "val": feats["val"], "guard": feats["guard"]},
                    guard=guard)
        _, tail = res.net.split(units)
        report["losses"][name] = {**score(tail), "train_seconds": time.time() - t, "best_epoch": res.best_epoch,
                                  "epochs_run": len([h for h in res.history if h.get("loss") is not None and "warmup" not in h]),
                                  "alpha": res.best_alpha, "selection": res.selection,
                                  "history": res.history}
        print(row(name, report["losses"][name], report["base"]), flush=True)
    report["default"] = choose_default(report)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(_strip_roc(report), indent=2))
    return report


def _strip_roc(d):  # noqa: ANN001, ANN202
    if isinstance(d, dict):
        return {k: _strip_roc(v) for k, v in d.items() if k != "roc"}
    return [_strip_roc(v) for v in d] if isinstance(d, list) else d


def _figs(r: dict, which: str) -> tuple[float, float]:
    return r[which]["clustering"]["bcubed_f"] * 100, r[which]["verification"]["tar_at_far1e-3"] * 100


HEADER = (f"{'loss':<12} {'seen BCubed F':>16} {'seen TAR@1e-3':>16} {'unseen BCubed F':>16} {'unseen TAR@1e-3':>16}"
          f" {'epochs':>6} {'α':>5} {'train s':>8}")


def row(name: str, r: dict, base: dict) -> str:
    cells = []
    for which in ("heldout", "unseen"):
        for v, b in zip(_figs(r, which), _figs(base, which), strict=False):
            cells.append(f"{v:6.2f} ({v - b:+5.2f})")
    ep = f"{r.get('best_epoch', '-')}/{r.get('epochs_run', '-')}"
    a = r.get("alpha")
    a = "-" if a is None or not r.get("best_epoch") else f"{a:.2f}"
    return f"{name:<12} " + " ".join(f"{c:>16}" for c in cells) + f" {ep:>6} {a:>5} {r.get('train_seconds', 0):8.0f}"


def choose_default(report: dict) -> dict:
    """Best seen-people TAR@FAR1e-3 + BCubed F among losses that cost unseen people ≤ 0.5 points."""
    base = report["base"]
    ok = {}
    for name, r in report["losses"].items():
        drops = [b - v for v, b in zip(_figs(r, "unseen"), _figs(base, "unseen"), strict=False)]
        if max(drops) <= 0.5:
            ok[name] = sum(_figs(r, "heldout")) - sum(_figs(base, "heldout"))
    if not ok:
        return {"loss": None, "why": "every loss lowered the unseen people's figures by more than 0.5 points"}
    best = max(ok, key=ok.get)
    return {"loss": best, "gain_points": ok[best],
            "why": f"largest gain on the trained people's held-out photos (BCubed F + TAR@1e-3: {ok[best]:+.2f} points) "
                   "among the losses that keep the unseen people within 0.5 points of the base model"}


def print_table(report: dict) -> None:
    print(HEADER)
    b = report["base"]
    cells = [f"{v:6.2f}" for w in ("heldout", "unseen") for v in _figs(b, w)]
    print(f"{'base':<12} " + " ".join(f"{c:>16}" for c in cells))
    for name, r in report["losses"].items():
        print(row(name, r, b))
    d = report["default"]
    print(f"default: {d['loss']} — {d['why']}")

"""One fine-tune from start to finish, shared by `faceapp train` and `python -m trainer`:
data → split → train → export → calibrate → parity → evaluate before/after → register.

Held-out faces (20% of each person's, never trained on) measure before/after; the validation faces
(part of the training side) drive early stopping and calibrate the new model's thresholds, as they
would for any user. Before and after are both measured through onnxruntime, the way the app embeds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from faceapp.progress import ProgressFn, StopFn
from trainer.config import TrainConfig
from trainer.data.faceset import FaceSet, split_guard

HELD_OUT = 0.2


def set_metadata(path: str | Path, updates: dict[str, str]) -> None:
    import onnx

    model = onnx.load(str(path))
    props = {p.key: p.value for p in model.metadata_props}
    props.update(updates)
    del model.metadata_props[:]
    for k, v in props.items():
        model.metadata_props.append(onnx.StringStringEntryProto(key=k, value=v))
    onnx.save(model, str(path))


def run_finetune(data: FaceSet, cfg: TrainConfig, out_dir: str | Path, source: str,
                 log: Callable[[str], None] = print, progress: ProgressFn | None = None,
                 stop: StopFn | None = None) -> dict:
    """Fine-tune on `data`; writes model.onnx, report.json and report.png into out_dir. `progress`
    (default: a console line) hears of each training step; `stop()` true cancels the training."""
    from faceapp import paths
    from faceapp.core.embed import Embedder
    from trainer.engine import train
    from trainer.evaluate import calibrate, evaluate, write_report
    from trainer.export import export_model, model_metadata, new_model_id, parity
    from trainer.progress import print_progress

    skipped, anchors = list(data.skipped), data.anchors
    counts = np.bincount(data.labels, minlength=data.num_classes)
    keep = np.flatnonzero(counts[data.labels] >= 3)  # a person needs faces on both sides of the split
    if len(np.unique(data.labels[keep])) < 2:
        raise ValueError("need at least two people with three or more faces each")
    data = data.subset(keep, relabel=True)
    train_all, held = data.split_photos(1 - HELD_OUT, cfg.seed)
    tr, val = train_all.split_photos(1 - cfg.val_fraction, cfg.seed)
    tr, val, held, guard = split_guard(tr, val, held, cfg.seed)
    if len(val) < 2 or len(np.unique(val.labels)) + guard.num_classes < 2:
        # the candidates are chosen and the thresholds set on these faces: without them no model can be judged
        raise ValueError(f"too few faces to test a new model: {len(data)} faces of {data.num_classes} people leave "
                         f"{len(val)} to check it on; confirm more faces (about ten per person) and try again")
    log(f"{tr.num_classes} people: {len(tr)} training, {len(val)} validation, {len(held)} held-out faces"
        + (f"; {guard.num_classes} guard people ({len(guard)} faces) kept out of training" if len(guard) else ""))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg.out_dir = cfg.out_dir or str(out)
    t0 = time.time()
    res = train(cfg, tr, val, progress=progress or print_progress, guard=guard if len(guard) else None, stop=stop,
                anchors=anchors)
    import torch.distributed as dist

    if dist.is_initialized() and dist.get_rank() != 0:
        return {}  # rank 0 exports and evaluates
    log(f"trained in {res.seconds:.0f} s on {res.device}"
        f" ({f'last {res.trainable_units} units' if res.trainable_units is not None else 'whole network'}),"
        f" best epoch {res.best_epoch}{', stopped early' if res.stopped_early else ''}")
    if res.selection and res.best_epoch == 0:
        log("kept the base model: no candidate was clearly better on your held-out faces without costing the guard people")
    elif res.selection:
        log(f"kept epoch {res.best_epoch} blended with the base model (WiSE-FT weight {res.best_alpha:.1f}): the "
            "candidate nearest the base within one standard error of the best validation score")
    net, adaptation = res.net, {}
    if cfg.linear_adapt:
        net, adaptation = _adapt(res.net, tr, val, guard, out, log)
    model_id = new_model_id(cfg.loss, net)
    params = {**_defaults(cfg.loss, res.net.embedding_size, tr.num_classes), **cfg.loss_params}
    scratch = cfg.backbone != "sface"
    how = f"trained from scratch ({cfg.backbone})" if scratch else f"fine-tuned {res.trainable_units or 'all'} units"
    summary = f"{source}: {data.num_classes} people, {len(tr)} faces; {how}"
    meta = model_metadata(model_id.replace("sface-ft", cfg.backbone) if scratch else model_id, res.net.embedding_size,
                          cfg.loss, params, summary, {}, base_model="none" if scratch else "sface-2021dec")
    model_id = meta["model_id"]
    path = export_model(net, out / "model.onnx", meta)
    base = Embedder(cfg.base_model or paths.SFACE, device="cpu")
    new = Embedder(path, device="cpu")
    cal = FaceSet(np.concatenate([val.crops, guard.crops]), np.concatenate([val.labels, guard.labels + val.num_classes]),
                  val.names + guard.names)
    thr_new = calibrate(new.embed(cal.crops), cal.labels)
    thr_base = calibrate(base.embed(cal.crops), cal.labels)
    extra_meta = {}
    if cfg.threshold_shift:
        shifted = shift_calibration(cfg.base_model or paths.SFACE, thr_base, thr_new)
        if shifted is not None:
            thr_base, thr_new, curve, shift = shifted
            extra_meta = {"far_curve": json.dumps(curve), "threshold_shift": f"{shift:.5f}"}
            log(f"thresholds: the base model's calibration shifted by {shift:+.4f} (measured at FAR {SHIFT_FAR})")
    set_metadata(path, {"thresholds": json.dumps(thr_new), **extra_meta})
    delta = parity(net, path, held.crops[:64])
    if delta >= 1e-4:
        raise RuntimeError(f"exported model disagrees with torch: max |Δ| = {delta:.2e}")
    genuine = int(sum(n * (n - 1) // 2 for n in np.bincount(held.labels)))
    if genuine < 1:
        log("too few held-out faces per person for before/after figures (need two of one person)")
        before = after = {}
    else:
        before = {"heldout": evaluate(base.embed(held.crops), held.labels, thr_base)}
        after = {"heldout": evaluate(Embedder(path, device="cpu").embed(held.crops), held.labels, thr_new)}
    report = write_report(out, before, after, res.history, {
        "model_id": model_id, "model_path": str(path), "loss": cfg.loss, "loss_params": params,
        "config": cfg.to_dict(), "heldout_faces": len(held),
        "faces": {"train": len(tr), "validation": len(val), "heldout": len(held), "guard": len(guard)}, "parity_max_abs": delta, "thresholds": thr_new, "seconds": time.time() - t0,
        "selection": res.selection, "adaptation": adaptation, "skipped_photos": [{"source": s, "reason": r} for s, r in skipped]})
    for name, r in (("before", before.get("heldout")), ("after", after.get("heldout"))):
        if r is None:
            continue
        log(f"{name:>6}: TAR@FAR1e-3 {r['verification']['tar_at_far1e-3']:.4f}  10-fold acc "
            f"{r['verification']['tenfold_accuracy'] or float('nan'):.4f}  BCubed F {r['clustering']['bcubed_f']:.4f}  "
            f"NMI {r['clustering']['nmi']:.4f}")
    if cfg.refit and res.selection and res.best_epoch > 0:
        base_net = _base_net(cfg)
        final = _refit(cfg, data, res, progress or print_progress, anchors, base_net.state_dict())
        moved = _refit_thresholds(cfg, final, anchors, base_net)
        if moved is not None:  # the refit model's own shift, on faces it never trained on
            thr_new, curve, shift = moved
            extra_meta = {"far_curve": json.dumps(curve), "threshold_shift": f"{shift:.5f}"}
            report["thresholds"] = thr_new
            log(f"thresholds of the model trained on every face: the base model's calibration shifted by {shift:+.4f} "
                f"(measured on {len(anchors)} faces nobody named)")
        export_model(final, path, {**meta, "thresholds": json.dumps(thr_new), **extra_meta,
                                   "training_data": f"{source}: {data.num_classes} people, {len(data)} faces; {how}"})
        if parity(final, path, held.crops[:64]) >= 1e-4:
            raise RuntimeError("exported refit model disagrees with torch")
        epochs, alpha = (cfg.epochs, 1.0) if cfg.refit_whole else (res.best_epoch, res.best_alpha)
        report["refit"] = {"faces": len(data), "epochs": epochs, "alpha": alpha}
        (out / "report.json").write_text(json.dumps(report, indent=2, default=float))
        log(f"trained again on all {len(data)} faces for {epochs} epoch(s), blended at {alpha:.1f}: "
            "the figures above are those of the model trained without the held-out faces")
    ckpt = Path(cfg.out_dir) / "checkpoint.pt"
    if not cfg.keep_checkpoint and ckpt.exists():  # the run finished: its resume point only costs disk space
        ckpt.unlink()
    return report


SHIFT_FAR = "1e-2"  # the one level a few hundred validation faces measure well (~1% of their impostor pairs)


BULK = 0.1  # the share of the highest pairs of unlabeled faces whose edge measures a refit model's shift
MIN_ANCHORS = 50
SHIFT_FACES = 600  # ~180k pairs; the shift they measure varies by ~0.002 between samples (celeba_dev; 1500: 0.0003)


def _refit_thresholds(cfg: TrainConfig, final, anchors: np.ndarray | None, base=None):  # noqa: ANN001, ANN202
    """(thresholds, FAR curve, shift) for the model trained on every face, or None without enough faces
    nobody named. Its training used the validation and guard faces that measured the first shift, so
    those can measure nothing now; the library's faces nobody named can. Most of their pairs are two
    different people, and the score at the edge of their highest BULK moves as impostor scores move
    (higher up, pairs of one person, which training pulls together, are many: a family's photos are
    mostly of a few people). `base`: the base network when the caller has it built."""
    from faceapp import paths
    from trainer.features import embed_crops

    if anchors is None or len(anchors) < MIN_ANCHORS:
        return None
    base = (base or _base_net(cfg)).eval()
    anchors = anchors[:SHIFT_FACES]  # already a random sample of the library
    shift = pair_edge(embed_crops(final, anchors)) - pair_edge(embed_crops(base, anchors))
    moved = shift_by(cfg.base_model or paths.SFACE, shift)
    return None if moved is None else (*moved, shift)


def pair_edge(emb: np.ndarray, share: float = BULK) -> float:
    """The cosine above which `share` of all pairs of these faces lie."""
    iu = np.triu_indices(len(emb), 1)
    return float(np.quantile((emb @ emb.T)[iu], 1 - share))


def base_calibration(base_path: str | Path) -> tuple[dict, list]:
    """The base model's calibrated thresholds and FAR curve (its metadata, else the shipped calibration)."""
    from faceapp.core.modelmeta import read_model_info
    from faceapp.jobs.models import shipped_calibration

    info = read_model_info(base_path)
    shipped = shipped_calibration(info.model_id)
    return dict(info.thresholds or shipped.get("thresholds") or {}), shipped.get("far_curve") or []


def shift_by(base_path: str | Path, shift: float) -> tuple[dict, list] | None:
    """The base model's calibrated thresholds and FAR curve moved by `shift`; None without a calibration."""
    base, curve = base_calibration(base_path)
    return _moved(base, curve, shift) if base else None


def _moved(thresholds: dict, curve: list, shift: float) -> tuple[dict, list]:
    return ({k: round(float(v) + shift, 5) for k, v in thresholds.items()},
            [[float(f), round(float(t) + shift, 5)] for f, t in curve])


def shift_calibration(base_path: str | Path, thr_base_small: dict, thr_new_small: dict):  # noqa: ANN201
    """(base thresholds, new thresholds, new FAR curve, shift) or None without a base calibration.

    A few hundred validation faces give some 10k impostor pairs: FAR 1e-4 is then the one or two
    highest impostor scores, far too high, and the trained model would cluster stricter than the base
    model for that reason alone. The base model's own calibration (thousands of people) is sound; the
    fine-tune moves the impostor scores by about one amount, which these faces do measure at FAR 1e-2.
    So the new model's thresholds and FAR curve are the base's, moved by that amount."""
    base, base_curve = base_calibration(base_path)
    if not base or SHIFT_FAR not in thr_base_small or SHIFT_FAR not in thr_new_small:
        return None
    shift = float(thr_new_small[SHIFT_FAR]) - float(thr_base_small[SHIFT_FAR])
    thr_new, curve = _moved(base, base_curve, shift)
    return base, thr_new, curve, shift


def _refit(cfg: TrainConfig, data: FaceSet, res, progress, anchors: np.ndarray | None = None,  # noqa: ANN001, ANN202
           base_state: dict | None = None):
    """The kept candidate's recipe (its epochs, its WiSE-FT blend) trained again on every face: the
    selection needed held-out, validation and guard faces; the model the user gets needs none.
    `base_state`: the base network's weights, when the caller has them (training leaves them untouched)."""
    import copy

    from trainer.engine import train
    from trainer.selection import interpolate

    again = copy.deepcopy(cfg)
    again.epochs, again.resume, again.refit = (cfg.epochs if cfg.refit_whole else res.best_epoch), False, False
    again.out_dir = str(Path(cfg.out_dir or ".") / "refit")
    base_state = base_state if base_state is not None else _base_state(cfg)
    tuned = train(again, data, None, progress=progress, anchors=anchors).net
    if not cfg.refit_whole:
        tuned.load_state_dict(interpolate(base_state, tuned.state_dict(), res.best_alpha))
    return tuned.eval()


def _base_net(cfg: TrainConfig):  # noqa: ANN202
    from trainer.backbones import build_backbone

    return build_backbone(cfg.backbone, weights=cfg.base_model)


def _base_state(cfg: TrainConfig) -> dict:
    return _base_net(cfg).state_dict()


def _adapt(net, tr: FaceSet, val: FaceSet, guard: FaceSet, out: Path, log: Callable[[str], None]):  # noqa: ANN001, ANN202
    """The kept network, followed by a per-library linear map (trainer.adapt) when validation keeps one."""
    from faceapp.core.embed import Embedder
    from trainer.adapt import Adapted, choose_map
    from trainer.export import export_model, model_metadata

    tmp = export_model(net, out / "unadapted.onnx", model_metadata("unadapted", net.embedding_size, "", {}, "", {}))
    emb = Embedder(tmp, device="cpu")
    g = (emb.embed(guard.crops), guard.labels) if len(guard) else (None, None)
    mat, figures = choose_map(emb.embed(tr.crops), tr.labels, emb.embed(val.crops), val.labels, *g)
    tmp.unlink()
    if mat is None:
        log("per-library linear map: none kept (none beat the model without one on validation)")
        return net, {"kept": None, "figures": figures}
    log(f"per-library linear map kept: {figures['kept']}")
    return Adapted(net, mat).eval(), {"kept": figures["kept"], "figures": figures}


def _defaults(loss: str, dim: int, classes: int) -> dict:
    """The loss's parameters as used (defaults included), for the model's metadata."""
    import inspect

    from trainer.losses import LOSSES

    sig = inspect.signature(LOSSES[loss].__init__)
    return {k: p.default for k, p in sig.parameters.items()
            if k not in ("self", "embedding_size", "num_classes") and p.default is not inspect.Parameter.empty}

"""Before/after evaluation on held-out faces: verification and clustering, as JSON and a PNG.

Verification uses every pair of the held-out faces: TAR at FAR 1e-3 (threshold read off the
impostor scores of these pairs) and 10-fold accuracy on all genuine pairs plus as many impostor
pairs drawn at random (the LFW protocol wants balanced pairs). Clustering runs the app's own
clusterer (faceapp.core.cluster) at the model's calibrated FAR 1e-3 cosine (with its refinement), so the figure is what
a user would see, and reports BCubed F and NMI. Metric definitions live in faceapp.core.metrics.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

FARS = ("1e-2", "1e-3", "1e-4")


def all_pairs(emb: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    iu = np.triu_indices(len(labels), 1)
    return (emb @ emb.T)[iu], (labels[:, None] == labels[None, :])[iu]


def calibrate(emb: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Cosine thresholds at each FAR of FARS, from impostor pairs of these (held-out) faces."""
    from faceapp.core.metrics import threshold_at_far

    scores, same = all_pairs(emb, labels)
    return {far: round(float(threshold_at_far(scores[~same], float(far))), 5) for far in FARS}


def roc_curve(scores: np.ndarray, same: np.ndarray, points: int = 200) -> tuple[list[float], list[float]]:
    """(FAR, TAR) on a log grid of FAR from 1e-5 to 1, for the plot."""
    imp = np.sort(scores[~same])[::-1]
    gen = scores[same]
    fars = np.logspace(-5, 0, points)
    tars = []
    for f in fars:
        k = min(int(np.floor(f * len(imp))), len(imp) - 1)
        tars.append(float((gen > imp[k]).mean()))
    return fars.tolist(), tars


def verification(emb: np.ndarray, labels: np.ndarray, seed: int = 0) -> dict:
    from faceapp.core.metrics import roc_tar_at_far, tenfold_accuracy

    scores, same = all_pairs(emb, labels)
    tar, thr = roc_tar_at_far(scores, same, 1e-3)
    rng = np.random.default_rng(seed)
    gen = np.flatnonzero(same)
    imp = rng.choice(np.flatnonzero(~same), min(len(gen), int((~same).sum())), replace=False)
    sel = rng.permutation(np.concatenate([gen, imp]))
    acc = std = None  # 10-fold accuracy needs ten pairs; tiny libraries may not have them
    if len(sel) >= 10:
        acc, std, _ = tenfold_accuracy(scores[sel], same[sel])
    far, tars = roc_curve(scores, same)
    return {"tar_at_far1e-3": tar, "threshold_far1e-3": thr, "tenfold_accuracy": acc, "tenfold_std": std,
            "genuine_pairs": int(same.sum()), "impostor_pairs": int((~same).sum()), "roc": {"far": far, "tar": tars}}


def clustering(emb: np.ndarray, labels: np.ndarray, thresholds: dict[str, float]) -> dict:
    """The app's clustering (average linkage at the calibrated FAR 1e-3 cosine, refined by the
    edges one decade stricter), scored against the true people."""
    from faceapp.core.cluster import ClusterParams, cluster, refine_threshold_from_calibration
    from faceapp.core.metrics import bcubed, nmi

    t = thresholds["1e-3"]
    refine = refine_threshold_from_calibration(thresholds, "1e-3")
    pred = cluster(emb, ClusterParams(threshold=t, refine=refine)).labels
    p, r, f = bcubed(labels, pred)
    return {"bcubed_precision": p, "bcubed_recall": r, "bcubed_f": f, "nmi": nmi(labels, pred),
            "clusters": int(len(set(pred.tolist()) - {-1})), "unsorted": int((pred == -1).sum()),
            "threshold": t, "refine": refine}


def evaluate(emb: np.ndarray, labels: np.ndarray, thresholds: dict[str, float]) -> dict:
    """Every figure for one model on one held-out set."""
    return {"faces": int(len(labels)), "people": int(len(np.unique(labels))),
            "verification": verification(emb, labels), "clustering": clustering(emb, labels, thresholds)}


def write_report(out_dir: str | Path, before: dict, after: dict, history: list[dict], extra: dict | None = None) -> dict:
    """report.json (figures, without the ROC point lists) and report.png (ROC before/after, loss)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    def strip(d: dict) -> dict:
        return {k: (strip(v) if isinstance(v, dict) else v) for k, v in d.items() if k != "roc"}

    report = {"before": strip(before), "after": strip(after), "history": history, **(extra or {})}
    (out / "report.json").write_text(json.dumps(report, indent=2))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, res in (("before", before), ("after", after)):
        for set_name, r in res.items():
            if isinstance(r, dict) and "verification" in r:
                roc = r["verification"]["roc"]
                ax1.plot(roc["far"], roc["tar"], label=f"{name} · {set_name}",
                         linestyle="-" if name == "after" else "--")
    ax1.set_xscale("log")
    ax1.set(xlabel="false accept rate", ylabel="true accept rate", title="ROC on held-out faces", xlim=(1e-5, 1))
    ax1.axvline(1e-3, color="grey", lw=0.5)
    ax1.legend(fontsize=8)
    ep = [h["epoch"] for h in history if h.get("loss") is not None]
    ax2.plot(ep, [h["loss"] for h in history if h.get("loss") is not None], marker="o", label="training loss")
    ax2.set(xlabel="epoch", ylabel="loss", title="loss curve")
    if any("val_score" in h for h in history):
        ax3 = ax2.twinx()
        ax3.plot([h["epoch"] for h in history if "val_score" in h],
                 [h["val_score"] for h in history if "val_score" in h], color="C1", marker="s")
        ax3.set_ylabel("validation score (mean TAR, FAR 1e-3…1e-1)", color="C1")
    fig.tight_layout()
    fig.savefig(out / "report.png", dpi=110)
    plt.close(fig)
    return report

"""Compare clustering methods on one set of embeddings: ours against the baselines users know.

- faceapp: constrained average linkage at the model's calibrated threshold, then the refinement
  with strong edges at the calibrated FAR one decade stricter, and lone pairs that the calibrated
  FAR curve says chance explains left unsorted (faceapp.core.cluster)
- immich-dbscan: DBSCAN, cosine distance, eps 0.5, min_samples 3 (Immich's defaults: max distance
  0.5, min faces 3)
- hdbscan-default: HDBSCAN with the library defaults (min_cluster_size 5) on the unit vectors

All methods cluster every face (so extra faces in a photo compete as in a real library); the
figures are computed on the labeled faces only. Noise counts as singletons.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from faceapp.core.cluster import ClusterParams, Constraints, cluster
from faceapp.core.metrics import cluster_report


def run_faceapp(x: np.ndarray, photo: Sequence[int], threshold: float, refine: float | None,
                far_curve: Sequence[Sequence[float]] | None = None) -> np.ndarray:
    """faceapp's default: linkage at `threshold`, refinement with edges at `refine` (None: off), lone
    pairs tested against `far_curve` (None: off)."""
    params = ClusterParams(threshold=threshold, min_size=2, refine=refine, far_curve=far_curve)
    return cluster(x, params, Constraints(photo=photo)).labels


def run_immich_dbscan(x: np.ndarray, eps: float = 0.5, min_samples: int = 3) -> np.ndarray:
    from sklearn.cluster import DBSCAN

    return DBSCAN(eps=eps, min_samples=min_samples, metric="cosine", algorithm="brute", n_jobs=1).fit_predict(x)


def run_hdbscan_default(x: np.ndarray) -> np.ndarray:
    import hdbscan

    return hdbscan.HDBSCAN().fit_predict(np.asarray(x, np.float64))


def compare(
    x: np.ndarray,
    photo: Sequence[int],
    labeled: np.ndarray,
    truth: Sequence[str],
    threshold: float,
    refine: float | None,
    methods: Sequence[str] = ("faceapp", "immich-dbscan", "hdbscan-default"),
    extra: dict[str, Callable[[], np.ndarray]] | None = None,
    far_curve: Sequence[Sequence[float]] | None = None,
    labels_out: dict[str, np.ndarray] | None = None,
) -> list[dict]:
    """One report per method: BCubed/pairwise P/R/F, NMI, clusters, unsorted, seconds. Each method's
    labels (all faces) go into `labels_out` when given."""
    runners: dict[str, Callable[[], np.ndarray]] = {
        "faceapp": lambda: run_faceapp(x, photo, threshold, refine, far_curve),
        "immich-dbscan": lambda: run_immich_dbscan(x),
        "hdbscan-default": lambda: run_hdbscan_default(x),
    }
    runners.update(extra or {})
    out = []
    for name in list(methods) + [k for k in (extra or {}) if k not in methods]:
        t0 = time.perf_counter()
        labels = np.asarray(runners[name]())
        secs = time.perf_counter() - t0
        if labels_out is not None:
            labels_out[name] = labels
        rep = cluster_report(list(truth), labels[labeled])
        out.append({"method": name, **{k: round(v, 4) if isinstance(v, float) else v for k, v in rep.items()},
                    "seconds": round(secs, 2)})
    return out

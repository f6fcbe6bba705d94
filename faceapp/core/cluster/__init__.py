"""Clustering face embeddings into people, under the user's decisions.

    params   ClusterParams, Constraints, ClusterResult; thresholds from the model's calibration
    linkage  cluster(): neighbours -> linking -> cluster-mean passes -> refining -> chance -> labels
    state    union-find over faces with cluster sums and the constraints (conflict, union)
    merge    the merge engines: vectorised reciprocal-nearest rounds, then a best-first heap
    refine   the Chinese-whispers refinement after linkage
    chance   two-face clusters that the model's FAR curve says chance explains

Nearest-neighbour search (faceapp.core.knn, faiss in faceapp.core.knn_faiss) and per-person
prototypes (faceapp.core.prototypes) are shared with assignment and review, so they stay in core.
"""

from faceapp.core.cluster.linkage import cluster
from faceapp.core.cluster.params import (
    DEFAULT_FAR,
    REFINE_DECADES,
    ClusterParams,
    ClusterResult,
    Constraints,
    refine_threshold_from_calibration,
    threshold_from_calibration,
)

__all__ = [
    "DEFAULT_FAR",
    "REFINE_DECADES",
    "ClusterParams",
    "ClusterResult",
    "Constraints",
    "cluster",
    "refine_threshold_from_calibration",
    "threshold_from_calibration",
]

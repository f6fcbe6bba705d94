"""What the clustering takes and gives: its parameters, the user's decisions as constraints, its
result, and the linkage thresholds read from the model's calibration."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from faceapp.types import FarKey

DEFAULT_FAR: FarKey = "1e-3"  # linkage threshold: the model's cosine at this false-accept rate
REFINE_DECADES = 1  # refinement edges: the model's cosine at a FAR this many decades below the linkage's


@dataclass
class ClusterParams:
    threshold: float  # average cosine at which two groups are one person
    min_size: int = 2  # smaller free clusters are "unsorted"
    k: int | None = None  # most partners per face kept in the graph (None: 32, or 16 beyond the exact search's size)
    exact: bool | None = None  # force exact / inverted-file pair search (None: by size)
    refine: float | None = None  # cosine of the strong edges that vote in the refinement (None: no refinement)
    far_curve: Sequence[Sequence[float]] | None = None  # the model's [[FAR, cosine], ...]: lone pairs chance explains go unsorted
    cluster_passes: int = 1  # linkage passes over pairs of clusters found on their mean vectors (0: face graph only)


@dataclass
class Constraints:
    photo: Sequence[int] | None = None  # photo id per face: one person per photo at most once
    fixed: Sequence[int] | None = None  # person id per face, -1 for free faces
    group: Sequence[int] | None = None  # soft label (e.g. a named person's earlier faces): cannot-link only
    rejected: Mapping[int, set[int]] = field(default_factory=dict)  # face index -> person ids refused


@dataclass
class ClusterResult:
    labels: np.ndarray  # cluster per face, -1 = unsorted
    scores: np.ndarray  # cosine of each face to its cluster's mean direction (0 for unsorted)
    person: dict[int, int]  # cluster -> fixed person id it holds (only clusters with fixed faces)


def refine_threshold_from_calibration(thresholds: Mapping[str, float], far: FarKey = DEFAULT_FAR) -> float | None:
    """The calibrated cosine one decade stricter than `far` (1e-3 -> 1e-4): the refinement's strong
    edges; None (no refinement) when the model has no such level."""
    mant, _, exp = far.partition("e")
    if not exp:
        return None
    stricter = f"{mant}e{int(exp) - REFINE_DECADES}"
    return float(thresholds[stricter]) if stricter in thresholds else None


def threshold_from_calibration(thresholds: Mapping[str, float], far: FarKey = DEFAULT_FAR) -> float:
    """The calibrated cosine at `far`; fails loudly rather than guessing when the model has none."""
    if far not in thresholds:
        raise ValueError(f"model has no calibrated threshold at FAR {far} (has {sorted(thresholds)})")
    return float(thresholds[far])

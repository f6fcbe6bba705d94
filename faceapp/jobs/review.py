"""The review queue: the clicks that fix the most, first.

Four kinds of item, taking turns so one kind never buries the others:
- merge:     two people whose prototypes are close (and who never share a photo) — one click joins them
- uncertain: a proposed face almost as close to another person as to its own (smallest margin first)
- suggest:   an unsorted face close to one person ("is this Ann?"), a clear margin over the runner-up first
- outlier:   a proposed face far from the rest of its person
Merge suggestions rank by how much the pair stands out from each person's other neighbours (centroid
cosine minus the best other partner's: the rule new faces are placed by, best beats runner-up), and a
person is in at most one of them at a time. The GUI answers the first item and reads the queue again,
so the kinds take turns across answers: the first kind shown moves on with every decision recorded.
Accepting confirms the face (or merges the people); rejecting records "not this person" (or dismisses
the merge suggestion for good). Hidden people are left out. Decided faces never appear.

    review_queue(db, limit=50) -> list[ReviewItem]   (faceapp.types.ReviewItem)
    accept_items(db, items) -> int;  reject_items(db, items) -> int
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import zip_longest

import numpy as np
from sqlite_utils import Database

from faceapp.core.knn import add_by_group, similar_pairs, top2_by_group
from faceapp.core.prototypes import group_prototypes
from faceapp.jobs.recluster import library_vectors
from faceapp.jobs.verify import model_thresholds
from faceapp.storage import decisions, views
from faceapp.storage import people as store
from faceapp.types import FarKey, ReviewItem


def review_queue(db: Database, limit: int = 50, far_merge: FarKey = "1e-2") -> list[ReviewItem]:
    th = model_thresholds(db)
    t_link, t_loose = th.get("1e-3", min(th.values())), th.get(far_merge, min(th.values()))
    ids, x = library_vectors(db)
    prev = store.assignments(db)
    people = {p.id: p for p in store.list_persons(db, include_hidden=False)}
    has = np.array([f in prev and prev[f][0] in people for f in ids.tolist()], bool)
    if not has.any():
        return []
    owners = np.array([prev[f][0] for f in ids[has].tolist()], np.int64)
    protos, powner = group_prototypes(x[has], owners)
    label = {p: people[p].label for p in people}
    merges = _merges(db, protos, powner, x[has], owners, t_loose, label)
    g1, s1, g2, s2 = top2_by_group(x, protos, powner)
    rej = store.rejections(db)
    uncertain, outliers, suggest = [], [], []
    uniq, inv = np.unique(owners, return_inverse=True)
    sums = np.zeros((len(uniq), x.shape[1]))
    add_by_group(sums, inv, x[has])
    cent = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    cidx = {int(p): i for i, p in enumerate(uniq)}
    sizes = np.bincount(inv)
    for i, f in enumerate(ids.tolist()):
        a = prev.get(f)
        if a is None:
            refused = rej.get(f, ())
            cands = [(int(g), float(v)) for g, v in ((g1[i], s1[i]), (g2[i], s2[i])) if g >= 0 and int(g) not in refused]
            if cands and cands[0][1] >= t_loose:
                p, v = cands[0]
                runner_up = float(s2[i]) if int(g1[i]) == p else float(s1[i])  # a refused best still competes
                suggest.append((v - runner_up, ReviewItem(f"suggest:{f}:{p}", "suggest", p, f, None, v,
                                                          f"is face {f} {label[p]}? (similarity {v:.2f})")))
            continue
        p, src, _ = a
        if src in store.DECIDED or p not in people:
            continue
        own = float(x[i] @ cent[cidx[p]])
        other = int(g1[i]) if int(g1[i]) != p else int(g2[i])
        other_s = float(s1[i]) if int(g1[i]) != p else float(s2[i])
        if other >= 0 and other_s >= t_loose:
            m = own - other_s
            uncertain.append(ReviewItem(f"uncertain:{f}:{p}", "uncertain", p, f, other, m,
                                        f"face {f}: {label[p]} or {label.get(other, other)}? (margin {m:+.2f})"))
        if sizes[cidx[p]] >= 3 and own < t_link:
            outliers.append(ReviewItem(f"outlier:{f}:{p}", "outlier", p, f, None, own,
                                       f"face {f} is far from the rest of {label[p]} ({own:.2f})"))
    uncertain.sort(key=lambda it: it.score)
    outliers.sort(key=lambda it: it.score)
    suggest = [it for _, it in sorted(suggest, key=lambda m_it: -m_it[0])]
    kinds = [k for k in (merges, uncertain, suggest, outliers) if k]
    if not kinds:
        return []
    turn = _decisions(db) % len(kinds)
    kinds = kinds[turn:] + kinds[:turn]
    queue = [it for group in zip_longest(*kinds) for it in group if it is not None]
    return queue[:limit]


def _decisions(db: Database) -> int:
    """Decisions recorded and not undone: the turn of the kinds (the GUI always answers the first item)."""
    return decisions.active_count(db)


def _merges(db: Database, protos: np.ndarray, powner: np.ndarray, xs: np.ndarray, owners: np.ndarray, t: float,
            label: dict) -> list[ReviewItem]:
    """Pairs of people with close prototypes whose mean pairwise cosine reaches `t`, best first by how
    far the pair's centroid cosine beats each one's next-best partner; one suggestion per person."""
    a, b, _ = similar_pairs(protos, t, k=32)
    uniq, inv = np.unique(owners, return_inverse=True)
    sums = np.zeros((len(uniq), xs.shape[1]))
    add_by_group(sums, inv, xs)
    n = np.bincount(inv).astype(np.float64)
    norm = np.maximum(np.linalg.norm(sums, axis=1), 1e-12)
    idx = {int(p): i for i, p in enumerate(uniq)}
    cos: dict[tuple[int, int], float] = {}
    for i, j in zip(a.tolist(), b.tolist(), strict=True):
        p, q = sorted((int(powner[i]), int(powner[j])))
        if p != q and (p, q) not in cos:
            cos[(p, q)] = float(sums[idx[p]] @ sums[idx[q]]) / (norm[idx[p]] * norm[idx[q]])
    near: dict[int, list[tuple[float, int]]] = {}
    for (p, q), c in cos.items():
        near.setdefault(p, []).append((c, q))
        near.setdefault(q, []).append((c, p))
    for v in near.values():
        v.sort(reverse=True)

    def next_best(p: int, q: int) -> float:
        return next((c for c, o in near[p] if o != q), 0.0)

    dismissed = store.dismissed_merges(db)
    together = views.people_seen_together(db)
    ranked = []
    for (p, q), c in cos.items():
        v = float(sums[idx[p]] @ sums[idx[q]]) / (n[idx[p]] * n[idx[q]])
        if v >= t and (p, q) not in dismissed and (p, q) not in together:
            ranked.append((c - max(next_best(p, q), next_best(q, p)), p, q, v))
    items, shown = [], set()
    for _, p, q, v in sorted(ranked, reverse=True):
        if p not in shown and q not in shown:
            shown |= {p, q}
            items.append(ReviewItem(f"merge:{p}:{q}", "merge", p, None, q, v,
                                    f"{label[p]} and {label[q]} the same person? ({v:.2f})"))
    return items


def accept_items(db: Database, items: Iterable[ReviewItem]) -> int:
    """Confirm each face as its person; merge each suggested pair (into the bigger, or the named one)."""
    from faceapp.jobs.people import confirm_faces, merge_people

    n = 0
    for it in items:
        if it.kind == "merge":
            if store.person_row(db, it.person_id) and store.person_row(db, it.other_person_id):
                ranked = store.list_persons(db, True, ids=[it.person_id, it.other_person_id])
                ranked.sort(key=lambda p: (p.name is None, -p.faces))
                merge_people(db, ranked[0].id, [ranked[1].id])
                n += 1
        else:
            confirm_faces(db, [it.face_id], it.person_id)
            n += 1
    return n


def reject_items(db: Database, items: Iterable[ReviewItem]) -> int:
    """"Not this person" for each face; dismiss each merge suggestion for good."""
    from faceapp.jobs.people import dismiss_merge, reject_faces

    n = 0
    for it in items:
        if it.kind == "merge":
            dismiss_merge(db, it.person_id, it.other_person_id)
        else:
            reject_faces(db, [it.face_id], it.person_id)
        n += 1
    return n

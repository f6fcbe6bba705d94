"""The merge state: union-find over faces with each cluster's sum vector, size and constraints.

Decisions enter here: a cluster remembers the person fixed in it, its soft label (group), the
persons its faces were rejected from and its photos; `conflict` says whether two clusters may join.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from faceapp.core.cluster.params import Constraints


class State:
    """Union-find over faces plus per-root sums, sizes and constraint sets."""

    def __init__(self, x: np.ndarray, c: Constraints) -> None:
        n = len(x)
        self.parent = list(range(n))
        self.sums = x.copy()  # float32: halves the memory traffic of scoring; ample precision for means
        self.size = [1] * n
        self.photos = [{int(p)} for p in c.photo] if c.photo is not None else None
        fixed = c.fixed if c.fixed is not None else [-1] * n
        self.person = [int(p) for p in fixed]
        self.group = [int(g) for g in c.group] if c.group is not None else None
        self.refused: dict[int, set[int]] = {int(i): set(v) for i, v in c.rejected.items() if v}

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def roots(self) -> np.ndarray:
        """Every face's root, vectorised (pointer jumping); paths are compressed on the way."""
        par = np.asarray(self.parent, np.int64)
        while True:
            up = par[par]
            if (up == par).all():
                break
            par = up
        self.parent = par.tolist()
        return par

    def conflict(self, a: int, b: int) -> bool:
        pa, pb = self.person[a], self.person[b]
        if pa >= 0 and pb >= 0 and pa != pb:
            return True
        if pa >= 0 and pa in self.refused.get(b, ()) or pb >= 0 and pb in self.refused.get(a, ()):
            return True
        if self.group is not None:
            ga, gb = self.group[a], self.group[b]
            if ga >= 0 and gb >= 0 and ga != gb:
                return True
            if ga >= 0 and ga in self.refused.get(b, ()) or gb >= 0 and gb in self.refused.get(a, ()):
                return True
        if self.photos is not None:
            small, big = sorted((self.photos[a], self.photos[b]), key=len)
            if any(p in big for p in small):
                return True
        return False

    def union(self, a: int, b: int, add_sums: bool = True) -> int:
        """Join roots a and b under the bigger one, which is returned. add_sums=False leaves
        sums[root] += sums[other] to the caller (a round of disjoint merges adds them at once)."""
        if self.size[a] < self.size[b]:
            a, b = b, a
        self.parent[b] = a
        self.size[a] += self.size[b]
        if add_sums:
            self.sums[a] += self.sums[b]
        if self.person[a] < 0:
            self.person[a] = self.person[b]
        if self.group is not None and self.group[a] < 0:
            self.group[a] = self.group[b]
        if self.photos is not None:
            self.photos[a] |= self.photos[b]
            self.photos[b] = set()
        rb = self.refused.pop(b, None)
        if rb:
            self.refused.setdefault(a, set()).update(rb)
        return a


def prejoin_fixed(st: State, fixed: Sequence[int] | None) -> None:
    if fixed is None:
        return
    first: dict[int, int] = {}
    for i, p in enumerate(fixed):
        if p < 0:
            continue
        if p in first:
            st.union(st.find(first[p]), st.find(i))
        else:
            first[p] = i

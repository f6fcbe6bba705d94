"""Several GPUs (torchrun): every rank takes the same number of steps, or the ranks' collectives stop
matching (found by scripts/gpu_check.sh's gloo run: with one warm-up batch and two ranks, rank 1 had
no step, finished, and rank 0 waited in all_reduce until the connection closed)."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from trainer.engine import rank_share  # noqa: E402


@pytest.mark.parametrize("world", [2, 3, 4])
@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 9])
def test_every_rank_gets_the_same_number_of_batches(n, world):
    batches = [[i] for i in range(n)]
    shares = [rank_share(batches, r, world) for r in range(world)]
    assert len({len(s) for s in shares}) == 1 and len(shares[0]) >= 1
    if n >= world:  # whole batches dealt out: none twice, at most world - 1 left out
        seen = [b[0] for s in shares for b in s]
        assert len(seen) == len(set(seen)) and n - len(seen) < world


def test_one_process_keeps_every_batch():
    assert rank_share([[0], [1], [2]], 0, 1) == [[0], [1], [2]]

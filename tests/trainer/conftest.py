"""Trainer tests need torch; skip the whole folder with a reason where it is not installed."""

import functools

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the trainer needs torch (pip install torch==2.13.0)")
torch.set_num_threads(2)



@functools.lru_cache(maxsize=1)
def _crops(root: str):  # noqa: ANN202
    from trainer.data.faceset import load_aligned_folders

    fs = load_aligned_folders(root)
    rng = np.random.default_rng(0)
    idx = np.concatenate([rng.choice(np.flatnonzero(fs.labels == c), 12, replace=False) for c in range(fs.num_classes)])
    return fs.subset(idx)


@pytest.fixture
def real_crops(glint_aligned):  # noqa: ANN201
    """12 real aligned crops of each of glint_aligned's 6 people (loaded once per session)."""
    return _crops(str(glint_aligned))

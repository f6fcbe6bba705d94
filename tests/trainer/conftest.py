"""Trainer tests need torch; skip the whole folder with a reason where it is not installed."""

import pytest

torch = pytest.importorskip("torch", reason="the trainer needs torch (pip install torch==2.13.0)")
torch.set_num_threads(2)

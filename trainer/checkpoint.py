"""A run's state from epoch to epoch, and the checkpoint that stores it (resume=True goes on from it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from trainer.config import TrainConfig
from trainer.selection import Candidate


@dataclass
class RunState:
    """What the loop carries from epoch to epoch; a checkpoint stores it so resume=True goes on."""

    history: list[dict] = field(default_factory=list)
    epoch: int = 0  # epochs finished
    best_score: float = -1.0  # early stopping's best validation score so far
    best_state: dict | None = None
    bad: int = 0  # epochs since the best moved on
    best_epoch: int = 0
    best_alpha: float = 1.0
    pool: list[Candidate] = field(default_factory=list)  # every candidate of the run, for the final choice
    epoch_states: dict[int, dict] = field(default_factory=dict)  # an epoch's weights as a delta from the base

    def save(self, path: Path, net: nn.Module, loss_fn: nn.Module, opt: torch.optim.Optimizer,
             cfg: TrainConfig) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"net": net.state_dict(), "loss": loss_fn.state_dict(), "opt": opt.state_dict(),
                    "epoch": self.epoch, "history": self.history, "best_score": self.best_score,
                    "best_state": self.best_state, "bad": self.bad, "best_epoch": self.best_epoch,
                    "best_alpha": self.best_alpha, "pool": [dict(vars(c)) for c in self.pool],
                    "epoch_states": self.epoch_states, "config": cfg.to_dict()}, path)

    @classmethod
    def load(cls, path: Path, dev: torch.device, net: nn.Module, loss_fn: nn.Module,
             opt: torch.optim.Optimizer) -> RunState:
        state = torch.load(path, map_location=dev, weights_only=False)
        net.load_state_dict(state["net"])
        loss_fn.load_state_dict(state["loss"])
        opt.load_state_dict(state["opt"])
        pool = [c if isinstance(c, Candidate) else Candidate(**c) for c in state.get("pool", [])]
        return cls(state["history"], state["epoch"], state["best_score"], state["best_state"], state["bad"],
                   state.get("best_epoch", 0), state.get("best_alpha", 1.0), pool, state.get("epoch_states", {}))

"""The loss bench's verdict: the default is the best gain on trained people among the losses that keep
unseen people within 0.5 points; config files load and refuse unknown keys."""

from __future__ import annotations

import json

import pytest

from trainer.bench import choose_default, print_table
from trainer.config import TrainConfig


def _r(seen_f: float, seen_tar: float, unseen_f: float, unseen_tar: float) -> dict:
    def one(f: float, t: float) -> dict:
        return {"clustering": {"bcubed_f": f}, "verification": {"tar_at_far1e-3": t}}

    return {"heldout": one(seen_f, seen_tar), "unseen": one(unseen_f, unseen_tar)}


def test_default_skips_losses_that_hurt_strangers(capsys) -> None:
    report = {"base": _r(0.90, 0.80, 0.90, 0.80), "losses": {
        "greedy": _r(0.99, 0.95, 0.88, 0.80),  # big gain, but −2 points on unseen people
        "modest": _r(0.92, 0.84, 0.899, 0.797),  # −0.1 / −0.3 points: allowed
        "none": _r(0.90, 0.80, 0.90, 0.80)}}
    d = choose_default(report)
    assert d["loss"] == "modest" and d["gain_points"] == pytest.approx(6.0)
    report["default"] = d
    print_table(report)
    out = capsys.readouterr().out
    assert "default: modest" in out and "greedy" in out


def test_no_acceptable_loss() -> None:
    report = {"base": _r(0.9, 0.8, 0.9, 0.8), "losses": {"x": _r(1.0, 1.0, 0.5, 0.5)}}
    assert choose_default(report)["loss"] is None


def test_config_file(tmp_path) -> None:
    p = tmp_path / "c.json"
    p.write_text(json.dumps({"data": {"albums": "x"}, "train": {"loss": "triplet", "loss_params": {"miner": "all"}}}))
    cfg, raw = TrainConfig.from_file(p)
    assert cfg.loss == "triplet" and cfg.loss_params == {"miner": "all"} and raw["data"] == {"albums": "x"}
    p.write_text(json.dumps({"train": {"los": "triplet"}}))
    with pytest.raises(ValueError, match="unknown config keys"):
        TrainConfig.from_file(p)

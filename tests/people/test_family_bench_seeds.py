"""`faceapp bench family --train-seeds N`: each config trained with seeds 0..N−1, compared on the mean
lift and its standard error (one training seed moves the lift by most of a point on celeba_dev)."""

from __future__ import annotations

import json

import pytest

from faceapp.bench.family_bench import _config_args, over_seeds, seeded_config


def test_one_seed_passes_the_config_as_given_and_several_pass_seeded_copies(tmp_path) -> None:
    cfg = tmp_path / "whole8.json"
    cfg.write_text(json.dumps({"trainable_units": 8, "seed": 5}))
    assert _config_args("default", 0, 1, tmp_path) == []
    assert _config_args(str(cfg), 0, 1, tmp_path) == ["--config", str(cfg)]  # its own seed holds
    flag, copy = _config_args(str(cfg), 2, 3, tmp_path)
    assert flag == "--config" and json.loads(open(copy).read()) == {"trainable_units": 8, "seed": 2}
    assert json.loads(seeded_config("default", 1, tmp_path).read_text()) == {"seed": 1}
    assert json.loads(cfg.read_text())["seed"] == 5  # the user's file is never changed


def test_over_seeds_gives_each_configs_mean_lift_and_its_standard_error() -> None:
    runs = [{"config": "a", "lift_family": f, "lift_strangers": s} for f, s in ((1.7, -0.05), (0.9, -0.6), (1.0, -0.4))]
    runs.append({"config": "default", "lift_family": 0.4, "lift_strangers": 1.0})
    out = over_seeds(runs)
    assert out["a"]["seeds"] == 3
    assert out["a"]["family"][0] == pytest.approx(1.2, abs=0.01)
    assert out["a"]["family"][1] == pytest.approx(0.25, abs=0.01)  # std 0.436 / sqrt(3)
    assert out["a"]["strangers"][0] == pytest.approx(-0.35, abs=0.01)
    assert out["default"] == {"seeds": 1, "family": (0.4, 0.0), "strangers": (1.0, 0.0)}

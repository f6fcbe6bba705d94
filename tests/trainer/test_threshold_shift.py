"""A trained model's thresholds: the base model's sound calibration moved by the shift the
validation faces measure at FAR 1e-2 (trainer.pipeline.shift_calibration)."""

from __future__ import annotations

import pytest


def test_thresholds_and_far_curve_move_by_the_measured_shift() -> None:
    from faceapp import paths
    from faceapp.jobs.models import shipped_calibration
    from trainer.pipeline import shift_calibration

    shipped = shipped_calibration("sface-2021dec")
    if not shipped:
        pytest.skip("the bundled model's calibration is not here")
    base, new, curve, shift = shift_calibration(paths.SFACE, {"1e-2": 0.30, "1e-4": 0.60}, {"1e-2": 0.33, "1e-4": 0.80})
    assert shift == pytest.approx(0.03)
    assert base == shipped["thresholds"]
    assert new == {k: pytest.approx(v + 0.03, abs=1e-5) for k, v in shipped["thresholds"].items()}
    assert [f for f, _ in curve] == [f for f, _ in shipped["far_curve"]]
    assert [t for _, t in curve] == [pytest.approx(t + 0.03, abs=1e-5) for _, t in shipped["far_curve"]]


def test_no_shift_without_the_reference_level() -> None:
    from faceapp import paths
    from trainer.pipeline import shift_calibration

    assert shift_calibration(paths.SFACE, {"1e-3": 0.3}, {"1e-3": 0.4}) is None

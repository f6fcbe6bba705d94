"""What `faceapp train` and Improve recognition tell the user after a fine-tune (trainer.outcome)."""

from __future__ import annotations

from trainer.outcome import UNCHANGED, outcome


def _ev(tar: float, f: float) -> dict:
    return {"heldout": {"verification": {"tar_at_far1e-3": tar}, "clustering": {"bcubed_f": f}}}


def _report(kept_epoch: int, alpha: float, before: tuple, after: tuple, adapted: str | None = None) -> dict:
    return {"selection": {"kept": {"epoch": kept_epoch, "alpha": alpha}}, "before": _ev(*before),
            "after": _ev(*after), "heldout_faces": 120, "adaptation": {"kept": adapted}}


def test_the_base_model_kept_is_unchanged() -> None:
    res = outcome(_report(0, 0.0, (0.9, 0.9), (0.9, 0.9)))
    assert not res.improved and res.message.startswith(UNCHANGED)


def test_a_candidate_within_noise_is_unchanged() -> None:
    res = outcome(_report(2, 0.3, (0.900, 0.950), (0.903, 0.951)))
    assert not res.improved and UNCHANGED in res.message


def test_an_improvement_says_by_how_much_on_held_out_faces() -> None:
    res = outcome(_report(2, 0.5, (0.900, 0.950), (0.930, 0.955)))
    assert res.improved and res.gain == 3.0
    assert "120 held-out faces of your people" in res.message and "+3.0 points" in res.message


def test_no_held_out_figures_is_unchanged() -> None:
    res = outcome({"selection": {"kept": {"epoch": 1, "alpha": 1.0}}, "before": {}, "after": {}})
    assert not res.improved and UNCHANGED in res.message


def test_a_kept_linear_map_on_the_base_model_is_a_change() -> None:
    res = outcome(_report(0, 0.0, (0.900, 0.950), (0.930, 0.955), adapted="shrink=0.3,beta=0.5"))
    assert res.improved

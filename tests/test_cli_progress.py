"""The command line's one progress renderer draws a bar per stage from `Progress` records."""

from __future__ import annotations

from faceapp.cli.progress_bar import ProgressBar
from faceapp.progress import Progress


def test_the_bar_draws_stage_counts_text_and_rate_from_progress(capsys):
    with ProgressBar(show=True) as bar:
        for i in range(11):
            bar(Progress("scanning", i, 10, f"{i} faces · 0 failed"))
        bar(Progress("clustering", 3, 7, "linking faces"))
    err = capsys.readouterr().err
    assert "scanning" in err and "10/10" in err and "10 faces · 0 failed" in err and "photo/s" in err
    assert "clustering" in err and "3/7" in err and "linking faces" in err  # a new stage: a new bar


def test_hidden_bar_writes_nothing(capsys):
    with ProgressBar(show=False) as bar:
        bar(Progress("scanning", 1, 2))
    assert capsys.readouterr().err == ""

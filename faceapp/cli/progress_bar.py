"""The command line's one renderer for a long job's `Progress`: a tqdm bar per stage, with rate and
time left, on stderr (stdout stays the command's result, JSON included)."""

from __future__ import annotations

from faceapp.progress import Progress

# stage -> the unit its done/total count (tqdm says "12.3 photo/s"); steps get none
UNITS = {"scanning": "photo", "embedding": "face", "exporting": "photo", "clustering": "step"}


class ProgressBar:
    """A ProgressFn: `job(..., progress=bar)`; `with ProgressBar() as bar:` closes the last bar.
    `show` None: shown when stderr is a terminal (tqdm's rule); False: never."""

    def __init__(self, show: bool | None = None) -> None:
        self.disable = None if show is None else not show
        self.bar = None
        self.stage: str | None = None

    def __call__(self, p: Progress) -> None:
        if p.stage != self.stage:
            self.close()
            from tqdm import tqdm

            self.stage = p.stage
            self.bar = tqdm(total=p.total or None, desc=p.stage, unit=UNITS.get(p.stage, "it"),
                            disable=self.disable, dynamic_ncols=True)
        bar = self.bar
        bar.total = p.total or None
        bar.set_postfix_str(p.text, refresh=False)
        bar.update(p.done - bar.n)  # drawn at most every tqdm.mininterval (the last state on close)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        self.bar, self.stage = None, None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

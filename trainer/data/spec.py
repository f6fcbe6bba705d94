"""One loader for what a run learns from, shared by `faceapp train`, `python -m trainer` and the
GUI's Improve recognition: a folder of albums (a sub-folder of photos per person), a folder of
already aligned crops per person, or a library's named people."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from faceapp.progress import ProgressFn

if TYPE_CHECKING:
    from sqlite_utils import Database

    from trainer.data.faceset import FaceSet

Kind = Literal["albums", "aligned", "db"]
KINDS: tuple[Kind, ...] = ("albums", "aligned", "db")


@dataclass(frozen=True)
class DataSpec:
    kind: Kind
    path: Path | None = None  # the folder or the library file (None: a library given open, see load_data)
    confirmed_only: bool = True  # a library: only the faces the user put or confirmed in a person
    anchors: int = 0  # a library: also up to this many faces no named person holds (TrainConfig.anchors_wanted)

    @classmethod
    def from_config(cls, data: dict) -> DataSpec:
        """{"albums": DIR} | {"aligned": DIR} | {"db": FILE} (the `data` table of a trainer config)."""
        for kind in KINDS:
            if kind in data:
                return cls(kind, Path(data[kind]))
        raise ValueError("config needs data.albums, data.aligned or data.db")

    def describe(self) -> str:
        """How the model's metadata and report name the training data."""
        what = {"albums": "albums", "aligned": "aligned crops", "db": "library"}[self.kind]
        return f"{what} {self.path.name}" if self.path is not None else what


def load_data(spec: DataSpec, db: Database | None = None, progress: ProgressFn | None = None) -> tuple[FaceSet, str]:
    """(the faces, spec.describe()). A library is read from `db` when given (left open), else opened
    from spec.path and closed once its crops are in memory."""
    if spec.kind == "albums":
        from trainer.data.albums import load_albums

        if not spec.path.is_dir():
            raise ValueError(f"no such folder: {spec.path}")
        return load_albums(spec.path, progress=progress), spec.describe()
    if spec.kind == "aligned":
        from trainer.data.faceset import load_aligned_folders

        return load_aligned_folders(spec.path), spec.describe()
    from trainer.data.library import load_library

    if db is not None:
        return load_library(db, confirmed_only=spec.confirmed_only, anchors=spec.anchors), spec.describe()
    from faceapp.storage.db import open_library

    if not spec.path.exists():
        raise ValueError(f"no such library: {spec.path}")
    opened = open_library(spec.path)
    try:
        return load_library(opened, confirmed_only=spec.confirmed_only, anchors=spec.anchors), spec.describe()
    finally:
        opened.conn.close()

"""The app's shared vocabulary: one plain dataclass per idea that crosses layers, and the string
kinds they carry as `Literal` aliases.

Why here and not in storage: a `Face` or a `Person` is read by storage, passed on by the jobs and
shown by the CLI and the GUI; each layer imports it from this leaf module (it imports nothing of
faceapp), so storage, jobs, gui and cli speak of one `Face` and none has to import another's
internals for a type. What only the GUI needs (boxes to paint, a verdict, a training report) stays
in `faceapp.gui.services.types`; a job's own result record (`ScanStats`, `ExportResult`) stays with
its job.

The kinds are `Literal`s rather than Enums: the values are stored as they are in SQLite, printed by
the CLI and written into JSON, and compared in few places; `get_args(Kind)` lists them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal, get_args

# How a face came to be in its person (face_assignments.source). 'user' and 'confirmed' are the
# user's decisions, which clustering never rewrites; 'cluster' and 'auto' are proposals.
FaceSource = Literal["cluster", "auto", "user", "confirmed"]
# Where a face came from (faces.source): the detector found it, or the user drew it.
FaceOrigin = Literal["detected", "user"]
# What a review question asks: two people the same? this face theirs (or the runner-up's)? this
# unsorted face theirs? this face really theirs?
ReviewKind = Literal["merge", "uncertain", "suggest", "outlier"]
# How an album holds its photos.
ExportMode = Literal["copy", "hardlink", "symlink"]
# Where inference runs: "auto" takes CUDA when onnxruntime has it, else the CPU.
Device = Literal["auto", "cpu", "cuda"]
# The false-accept rates a model is calibrated at (keys of its thresholds).
FarKey = Literal["1e-2", "1e-3", "1e-4"]

EXPORT_MODES: tuple[ExportMode, ...] = get_args(ExportMode)
DEVICES: tuple[Device, ...] = get_args(Device)
FARS: tuple[FarKey, ...] = get_args(FarKey)
DECIDED: tuple[FaceSource, ...] = ("user", "confirmed")
PROPOSED: tuple[FaceSource, ...] = ("cluster", "auto")


def person_label(person_id: int, name: str | None) -> str:
    """How a person is called everywhere (CLI, GUI, exports, messages): the name, or "Person N"."""
    return name or f"Person {person_id}"


@dataclass
class Person:
    id: int
    name: str | None
    hidden: bool = False
    faces: int = 0  # assigned faces (not-a-face excluded)
    photos: int = 0
    confirmed: int = 0  # faces the user decided ('user' or 'confirmed')
    cover_face: int | None = None  # the face shown for them: a confirmed one first, then the best scored

    @property
    def label(self) -> str:
        return person_label(self.id, self.name)


@dataclass
class Face:
    id: int
    photo_id: int
    path: str
    person_id: int | None = None
    source: FaceSource | None = None  # None: unsorted
    score: float | None = None
    box: tuple[float, float, float, float] | None = None  # x, y, w, h in photo pixels (None: not read)
    quality: float | None = None


@dataclass
class ReviewItem:
    """One question of the review queue (faceapp.jobs.review); answering it passes it back whole."""

    key: str  # stable id for the CLI: kind:face:person or merge:a:b
    kind: ReviewKind
    person_id: int
    face_id: int | None = None  # the face asked about; None for a merge question
    other_person_id: int | None = None  # the runner-up (uncertain) or the merge partner
    score: float = 0.0  # similarity (merge, suggest, outlier) or margin (uncertain)
    text: str = ""  # the question in words
    caption: str = ""  # a short line to show under the face (the GUI's)
    shown_face: int | None = None  # the face to show with it: face_id, or for a merge a face of the partner

    def as_dict(self) -> dict:
        """The question as the CLI prints it (without the GUI's caption and face to show)."""
        d = asdict(self)
        del d["caption"], d["shown_face"]
        return d

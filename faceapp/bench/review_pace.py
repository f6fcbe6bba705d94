"""Review answers per minute, with the reference faces shown and without (issue 11).

The simulated user of `faceapp bench review` answers the real queue; for each answer this module
adds up the time a person would take, in two versions of the review page that differ in one thing:

- with references (today's review view): the question shows a few faces of the person it names (and of
  the other person, for a merge), so the person compares and answers on the spot;
- without (the review view before issue 11): the question shows only the face and a label. A person
  the user has named is someone they know: no trip needed. An unnamed "Person 47" must be looked up
  the first time the queue names them: People page, search "47", open the tile, look, come back.
  The user then remembers that person for the rest of the session (generous to "without": in
  practice faces seen once among dozens of strangers are soon forgotten), and answers as fast as
  with the references on screen. So the ratio printed is a floor.

The time of a person is the Keystroke-Level Model (Card, Moran & Newell, "The Psychology of
Human-Computer Interaction", 1983; operator times as in Kieras, "Using the Keystroke-Level Model to
Estimate Execution Times", 2001): K 0.28 s a key (average non-secretary typist), P 1.1 s pointing
with the mouse, B 0.1 s a mouse-button press or release, M 1.35 s mental preparation; plus
COMPARE 1.5 s to judge one face against one person's faces (unfamiliar-face matching is answered in
about 1.5–2.5 s in the Glasgow Face Matching Test studies; the low end is taken, the same in both
versions). The machine's share is measured: the queue read after each answer (as the review page
does, 200 items) and, with references, the read of the reference faces.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlite_utils import Database

from faceapp.jobs.people import person_faces
from faceapp.jobs.review import ReviewItem, review_queue
from faceapp.storage.people import person_row

K, P, B, M = 0.28, 1.1, 0.1, 1.35  # seconds (KLM)
COMPARE = 1.5


def answer_s() -> float:
    """Read the question (M), compare the face with the person (COMPARE), press Y or N (K)."""
    return M + COMPARE + K


def lookup_s(person_id: int) -> float:
    """The trip to see an unnamed person's faces, and back to the question."""
    digits = len(str(person_id))
    return (P + 2 * B            # click People in the sidebar
            + M + 2 * K          # recall the number; Ctrl+F
            + digits * K         # type it ("47")
            + P + 4 * B          # point at the tile, double-click it
            + M                  # look at their faces and keep them in mind
            + K                  # Escape: back to People
            + P + 2 * B          # click Review in the sidebar
            + M)                 # find the question again


@dataclass
class Pace:
    """Seconds spent per version, over the answers watched."""

    answers: int = 0
    with_refs_s: float = 0.0
    without_refs_s: float = 0.0
    lookups: int = 0
    machine_queue_s: float = 0.0
    machine_refs_s: float = 0.0
    known: set[int] = field(default_factory=set)  # the unnamed people the "without" user has looked up

    def watch(self, db: Database, item: ReviewItem) -> None:
        """One answer to `item`, about to be given: add each version's time."""
        t0 = time.perf_counter()
        review_queue(db, limit=200)  # what the review page reads after each answer
        t1 = time.perf_counter()
        for pid in (item.person_id, item.other_person_id if item.kind == "merge" else None):
            if pid is not None:
                person_faces(db, pid)  # the reference faces' read
        t2 = time.perf_counter()
        self.answers += 1
        self.machine_queue_s += t1 - t0
        self.machine_refs_s += t2 - t1
        self.with_refs_s += answer_s() + (t1 - t0) + (t2 - t1)
        # Without references the face on screen is the asked face (a merge: the other person's cover
        # face); the person the question names is what the user must know or look up.
        row = person_row(db, item.person_id)
        need = 0.0
        if row is not None and not row["name"] and item.person_id not in self.known:
            self.known.add(item.person_id)
            self.lookups += 1
            need = lookup_s(item.person_id)
        self.without_refs_s += answer_s() + (t1 - t0) + need

    def per_minute(self) -> dict:
        def rate(s: float) -> float | None:
            return round(60 * self.answers / s, 2) if s else None

        with_, without = rate(self.with_refs_s), rate(self.without_refs_s)
        return {"answers": self.answers, "lookups": self.lookups,
                "without_refs_per_min": without, "with_refs_per_min": with_,
                "ratio": round(with_ / without, 2) if with_ and without else None,
                "machine_s_per_answer": round((self.machine_queue_s + self.machine_refs_s) / max(self.answers, 1), 3),
                "model": {"K": K, "P": P, "B": B, "M": M, "compare": COMPARE, "answer_s": round(answer_s(), 2)}}


def pace_line(p: dict) -> str:
    return (f"review answers per minute ({p['answers']} answers; a person's time by the keystroke-level model, "
            f"{p['lookups']} unnamed people looked up without references): "
            f"without reference faces (before) {p['without_refs_per_min']}/min · "
            f"with reference faces {p['with_refs_per_min']}/min · ×{p['ratio']} "
            f"(the machine's share, measured: {p['machine_s_per_answer']} s an answer)")

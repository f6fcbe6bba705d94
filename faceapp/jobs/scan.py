"""Scan photo folders into a library: resumable, incremental, both cores busy.

Decoding, detection and alignment run in worker threads (PIL, OpenCV and onnxruntime release the
GIL); the calling thread embeds batches of crops and is the only writer to the database. Finished
photos are committed in small transactions, so a scan stopped by Ctrl-C, a cancel or `kill -9`
resumes without redoing a finished photo.
"""

from __future__ import annotations

import os
import time
from collections import Counter, deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from sqlite_utils import Database

from faceapp.core.detect import DetectorSettings
from faceapp.core.embed import Embedder
from faceapp.jobs.models import embedder_for, ensure_active_model
from faceapp.jobs.reembed import embed_missing
from faceapp.jobs.scan_plan import PhotoResult, PhotoWorker, iter_image_files, plan
from faceapp.progress import ProgressFn, StopFn, report
from faceapp.storage import photos as photo_store
from faceapp.storage.carry import carry_decisions, carry_user_faces, covered
from faceapp.storage.db import now
from faceapp.storage.faces import photo_for_faces
from faceapp.storage.tx import transaction
from faceapp.types import Device


def _cores() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass
class ScanSettings:
    """Defaults split the cores: decode+detect threads alongside a half-width embedding session."""

    detector: DetectorSettings = field(default_factory=DetectorSettings)
    workers: int = field(default_factory=lambda: max(2, _cores()))
    embed_threads: int = field(default_factory=lambda: max(1, _cores() // 2))
    embed_batch: int = 32  # faces gathered before an embedding call
    session_batch: int | None = None  # faces per onnxruntime run; None: the embedder's choice for its device
    commit_every: int = 16  # photos per transaction
    device: Device = "auto"
    flip_tta: bool = False
    assign_new: bool = True  # after the scan, new faces join existing people where they clearly fit

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Refuse counts that would scan nothing or hang (the CLI refuses them first, with its own words)."""
        for name in ("workers", "embed_threads", "embed_batch", "commit_every"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name.replace('_', ' ')} must be 1 or more, not {v!r}")
        if self.session_batch is not None and (not isinstance(self.session_batch, int) or self.session_batch < 1):
            raise ValueError(f"session batch must be 1 or more, not {self.session_batch!r}")
        self.detector.validate()


STAGE = "scanning"  # the Progress stage a scan reports (done/total: photos to analyse this run)


def progress_text(faces: int, errors: int) -> str:
    return f"{faces} faces · {errors} failed"


@dataclass
class ScanStats:
    found: int = 0  # image files seen
    skipped: int = 0  # unchanged since the last scan
    processed: int = 0
    moved: int = 0
    repaired: int = 0  # faces embedded at the end for the active model (a model switched in during the scan)
    carried: int = 0  # faces of an edited photo whose decisions followed them into the new content
    replaced: int = 0  # known names that now hold other content (their old photos are set aside as missing)
    missing: int = 0
    faces: int = 0
    errors: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    cancelled: bool = False
    provider: str = ""
    assigned: int = 0  # new faces that joined existing people
    xmp_names: int = 0  # scanned photos whose XMP seems to name faces (see faceapp.xmp.hint)

    @property
    def photos_per_s(self) -> float:
        return self.processed / self.seconds if self.seconds else 0.0

    @property
    def faces_per_s(self) -> float:
        return self.faces / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {
            "found": self.found, "skipped": self.skipped, "processed": self.processed, "moved": self.moved,
            "replaced": self.replaced, "carried": self.carried, "repaired": self.repaired, "missing": self.missing, "faces": self.faces, "errors": dict(self.errors), "seconds": round(self.seconds, 2),
            "photos_per_s": round(self.photos_per_s, 2), "faces_per_s": round(self.faces_per_s, 2),
            "cancelled": self.cancelled, "provider": self.provider, "assigned": self.assigned, "xmp_names": self.xmp_names,
        }


def _utf8(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class Scanner:
    def __init__(self, db: Database, settings: ScanSettings | None = None, embedder: Embedder | None = None) -> None:
        self.db = db
        self.settings = settings or ScanSettings()
        self.settings.validate()  # fields may have been changed since it was made
        self._set_aside: list[int] = []  # photos set aside by this scan (their names hold other content)
        self.model = ensure_active_model(db)
        self.embedder = embedder or embedder_for(
            self.model, device=self.settings.device, batch_size=self.settings.session_batch,
            flip_tta=self.settings.flip_tta, threads=self.settings.embed_threads,
        )

    def _record_unscannable(self, entries: list[tuple[str, tuple[str, str]]], stats: ScanStats) -> list[str]:
        """Files (or folders) the scan can't look at are recorded with the reason, so the user sees
        what to fix. Names that are not valid UTF-8 are stored under a readable form."""
        shown_all = []
        with transaction(self.db):
            for f, reason in entries:
                shown = f.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                photo_store.save_photo(self.db, shown, 0, 0.0, "", error=reason)
                stats.processed += 1
                stats.errors[reason[0]] += 1
                shown_all.append(shown)
        return shown_all

    def _finish(self, roots: list[str], seen: set[str], stats: ScanStats) -> None:
        """After the last photo is written, in this order: what went missing (only a scan that ran
        to the end knows), set-aside photos with nothing to keep, then library-wide repairs, then
        new faces placed with known people (which reads the active model's embeddings)."""
        if not stats.cancelled:
            gone = [r.id for root in roots for r in photo_store.photos_under(self.db, root)
                    if r.path not in seen and r.status != "missing"]
            stats.missing = photo_store.mark_missing(self.db, gone)
        photo_store.drop_set_aside_without_faces(self.db, self._set_aside)
        # The faces this scan stored were embedded with the model active when it began: when a model
        # was switched in meanwhile, they get its embedding now, from the stored crops (other gaps,
        # e.g. a malformed embedding, are repaired by clustering, which calls embed_missing first).
        if ensure_active_model(self.db)["id"] != self.model["id"]:
            stats.repaired = embed_missing(self.db, device=self.settings.device).embedded
        if stats.faces and self.settings.assign_new:
            stats.assigned = self._assign_new()

    def _assign_new(self) -> int:
        """New faces join the people the library already has (prototypes, threshold and margin)."""
        from faceapp.storage.people import has_people

        if not has_people(self.db):
            return 0
        from faceapp.jobs.recluster import assign_new

        return assign_new(self.db).assigned

    def _embed(self, group: list[PhotoResult]) -> np.ndarray | None:
        crops = [f.crop for r in group if r.analysis for f in r.analysis.faces]
        return self.embedder.embed(np.stack(crops)) if crops else None

    def _write(self, group: list[PhotoResult], emb: np.ndarray | None, stats: ScanStats) -> None:
        """One transaction per group: a photo is either wholly in the library or not at all."""
        k = 0
        with transaction(self.db):
            for r in group:
                if r.moved_from is not None:
                    photo_store.move_photo(self.db, r.moved_from, r.path, r.size, r.mtime, r.identity)
                    stats.moved += 1
                    continue
                if r.same_as is not None:
                    photo_store.move_photo(self.db, r.same_as, r.path, r.size, r.mtime, r.identity)
                    stats.skipped += 1
                    continue
                # Other content under a known name is another photo: the old one's faces and
                # decisions stay with it, set aside, never on this file's faces.
                aside = photo_store.free_path_for(self.db, r.path, r.digest)
                if aside is not None:
                    self._set_aside.append(aside)
                    stats.replaced += 1
                a = r.analysis
                faces = [
                    {"box": f.detection.box, "landmarks": f.detection.landmarks, "score": f.detection.score,
                     "quality": f.quality, "crop": f.crop}
                    for f in (a.faces if a else [])
                ]
                vectors = emb[k : k + len(faces)] if faces else None
                k += len(faces)
                # A face the user drew stays; the detector finding it too does not store it twice.
                here = photo_for_faces(self.db, path=r.path) if aside is None and faces else None
                drop = set(covered(self.db, here["id"] if here else None, [f["box"] for f in faces]))
                if drop:
                    faces = [f for i, f in enumerate(faces) if i not in drop]
                    vectors = np.stack([v for i, v in enumerate(vectors) if i not in drop]) if faces else None
                n = len(faces)
                new_id = photo_store.save_photo(
                    self.db, r.path, r.size, r.mtime, r.digest,
                    width=a.width if a else None, height=a.height if a else None, taken_at=a.taken_at if a else None,
                    faces=faces, model_row=self.model["id"], embeddings=vectors if n else None, error=r.error,
                    identity=r.identity,
                )
                if aside is not None:  # an edit of the same picture: its faces keep their decisions
                    carried = carry_decisions(self.db, aside, new_id, self.model["id"]) if n else 0
                    stats.carried += carried + carry_user_faces(self.db, aside, new_id, carried)
                stats.processed += 1
                stats.faces += n
                stats.xmp_names += r.xmp_names
                if r.error:
                    stats.errors[r.error[0]] += 1

    def scan(
        self,
        roots: Iterable[str | Path],
        progress: ProgressFn | None = None,
        stop: StopFn | None = None,
    ) -> ScanStats:
        """Scan the roots; stops early (keeping finished work) when stop() turns true. Progress:
        stage "scanning", done/total photos of this run, text the faces found and photos failed."""
        t0 = time.perf_counter()
        started = now()
        roots = [str(Path(r).expanduser().resolve()) for r in roots]
        unlisted: list[tuple[str, tuple[str, str]]] = []
        files = list(iter_image_files(roots, unlisted))
        unnamable = [(f, ("bad-file-name", "the name is not valid UTF-8; rename the file")) for f in files if not _utf8(f)]
        files = [f for f in files if _utf8(f)]
        the_plan = plan(self.db, files)
        todo = the_plan.todo
        photo_store.set_identities(self.db, the_plan.backfill)
        stats = ScanStats(found=len(files) + len(unnamable), skipped=the_plan.skipped)
        shown_names = self._record_unscannable(unnamable + unlisted, stats)
        worker = PhotoWorker(self.settings.detector, the_plan)
        self._set_aside = []
        # Both kinds of work, analysing photos and embedding batches of their faces, go to one pool,
        # so every core takes whichever is ready; this thread only orders results and writes them.
        analysing: deque[Future] = deque()
        embedding: deque[tuple[list[PhotoResult], Future]] = deque()
        group: list[PhotoResult] = []
        group_faces = 0
        max_inflight = max(4, self.settings.workers * 4)
        it = iter(todo)
        done = found_faces = found_errors = 0

        def say() -> None:
            report(progress, STAGE, done, len(todo), progress_text(found_faces, found_errors))

        def write_ready(block: bool) -> None:
            while embedding and (block or embedding[0][1].done()):
                grp, fut = embedding.popleft()
                self._write(grp, fut.result(), stats)

        pool = ThreadPoolExecutor(max_workers=max(1, self.settings.workers), thread_name_prefix="faceapp-scan")
        # Parallelism comes from the pool; OpenCV's own threads would only oversubscribe the cores.
        cv_threads = cv2.getNumThreads()
        cv2.setNumThreads(1)
        try:
            while True:
                while len(analysing) < max_inflight:
                    path = next(it, None)
                    if path is None:
                        break
                    analysing.append(pool.submit(worker, path))
                if not analysing:
                    break
                res = analysing.popleft().result()
                group.append(res)
                n = len(res.analysis.faces) if res.analysis else 0
                group_faces += n
                found_faces += n
                found_errors += res.error is not None
                done += 1
                if len(group) >= self.settings.commit_every or group_faces >= self.settings.embed_batch:
                    embedding.append((group, pool.submit(self._embed, group)))
                    group, group_faces = [], 0
                write_ready(block=len(embedding) > 2)
                say()
                if stop is not None and stop():
                    stats.cancelled = True
                    break
        except KeyboardInterrupt:
            stats.cancelled = True
        finally:
            for f in analysing:
                f.cancel()
            # Work that finished is kept, whatever stopped the scan.
            write_ready(block=True)
            if group:
                self._write(group, self._embed(group), stats)
            pool.shutdown(wait=True, cancel_futures=True)
            cv2.setNumThreads(cv_threads)
        self._finish(roots, set(files) | set(shown_names), stats)
        stats.seconds = time.perf_counter() - t0
        stats.provider = self.embedder.provider
        photo_store.record_scan(self.db, started, roots, stats.as_dict())
        say()
        return stats

"""The long jobs the GUI starts, as plain functions of a Token (no widgets, no Qt types).

Each opens its own connection to the library file and closes it when done: a worker never shares
the GUI thread's connection.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from faceapp.gui import services
from faceapp.gui.settings import AppSettings
from faceapp.gui.workers import Token
from faceapp.storage.db import open_library


def scan_job(db_path: Path, roots: list[str], settings: AppSettings, recluster: bool = True) -> Callable[[Token], dict]:
    """Scan the folders, then re-cluster so new faces join people (unless cancelled)."""

    def run(token: Token) -> dict:
        from faceapp.core.detect import DetectorSettings
        from faceapp.jobs.scan import Scanner, ScanSettings

        db = open_library(db_path)
        try:
            det = DetectorSettings(long_side=settings.det_size, score_threshold=settings.det_threshold)
            scanner = Scanner(db, ScanSettings(detector=det, device=settings.device))
            stats = scanner.scan(roots, progress=token.progress, stop=token.should_stop).as_dict()
            if recluster and not stats["cancelled"]:
                stats["people"] = services.recluster(db, settings.strictness, progress=token.progress,
                                                     stop=token.should_stop)
            return stats
        finally:
            db.conn.close()

    return run


def recluster_job(db_path: Path, strictness: float) -> Callable[[Token], object]:
    def run(token: Token) -> object:
        db = open_library(db_path)
        try:
            return services.recluster(db, strictness, progress=token.progress, stop=token.should_stop)
        finally:
            db.conn.close()

    return run


def db_job(db_path: Path, fn: Callable[..., object], *args: object, **kwargs: object) -> Callable[[Token], object]:
    """Any library function `fn(db, *args, progress=, stop=)` (faceapp.progress) as a background job."""

    def run(token: Token) -> object:
        db = open_library(db_path)
        try:
            return fn(db, *args, progress=token.progress, stop=token.should_stop, **kwargs)
        finally:
            db.conn.close()

    return run


def train_job(db_path: Path, source: str, loss: str, epochs: int, device: str, out_dir: str) -> Callable[[Token], object]:
    """Fine-tune in a child process (see faceapp.gui.train_process)."""

    def run(token: Token) -> object:
        from faceapp.gui.train_process import train_in_child

        return train_in_child(db_path, source, loss, epochs, device, out_dir, token)

    return run

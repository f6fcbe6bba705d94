"""Face and photo thumbnails loaded on demand by a background thread with its own database connection.

Models ask for a face id when a view first paints it; the loader decodes the stored 112×112 crops
in small batches and sends QImages back; the GUI thread keeps a bounded cache of QPixmaps. This is
what lets a grid of 100,000 faces scroll: only visible rows ever cost anything.
"""

from __future__ import annotations

import atexit
import queue
import threading
import time
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap

from faceapp.gui.images import rgb_to_qimage
from faceapp.gui.qtcompat import emit


def icon(pixmap: QPixmap | None) -> QIcon | None:
    """As a QIcon the view scales the picture to its icon size and shades it when selected."""
    return QIcon(pixmap) if pixmap is not None else None


class FaceThumbnails(QObject):
    """request(face_id) → later `ready(face_id)`; pixmap(face_id) answers from the cache or None."""

    ready = Signal(int)
    ready_many = Signal(list)  # the face ids of a batch that arrived (after their `ready`s)
    _loaded = Signal(object)  # [(face id, QImage)] from the loader thread; queued to the GUI thread

    def __init__(self, db_path: str | Path, cache_size: int = 4000, batch: int = 64) -> None:
        super().__init__()
        self._db_path = Path(db_path)
        self._cache: OrderedDict[int, QPixmap] = OrderedDict()
        self._cache_size = cache_size
        self._batch = batch
        self._pending: set[int] = set()
        self._queue: queue.LifoQueue[int | None] = queue.LifoQueue()  # the latest asked (on screen) first
        self._loaded.connect(self._store)
        self._placeholder = QPixmap(112, 112)
        self._placeholder.fill(QColor(210, 210, 210))
        self._thread = threading.Thread(target=self._run, name="faceapp-thumbs", daemon=True)
        self._thread.start()

    def pixmap(self, face_id: int) -> QPixmap:
        """The face's thumbnail, or a grey placeholder of the same size while it loads (a view
        with uniform item sizes measures its first item, so that item must have its full size)."""
        pm = self._cache.get(face_id)
        if pm is not None:
            self._cache.move_to_end(face_id)
            return pm
        self.request(face_id)
        return self._placeholder

    def has(self, face_id: int) -> bool:
        """Whether the face's thumbnail is loaded (pixmap() then returns it, not the placeholder)."""
        return face_id in self._cache

    def placeholder(self) -> QPixmap:
        """The grey square shown for a face still loading (or for no face at all)."""
        return self._placeholder

    def request(self, face_id: int) -> None:
        if face_id not in self._pending and face_id not in self._cache:
            self._pending.add(face_id)
            self._queue.put(face_id)

    def forget(self, face_ids: list[int] | None = None) -> None:
        for fid in face_ids if face_ids is not None else list(self._cache):
            self._cache.pop(fid, None)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(5)

    @Slot(object)
    def _store(self, batch: list) -> None:
        for face_id, image in batch:
            self._pending.discard(face_id)
            self._cache[face_id] = QPixmap.fromImage(image)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        for face_id, _ in batch:
            emit(self.ready, face_id)
        emit(self.ready_many, [face_id for face_id, _ in batch])

    def _run(self) -> None:  # loader thread
        from faceapp.storage.db import open_library
        from faceapp.storage.faces import face_crops

        db = open_library(self._db_path)
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                ids = [first]
                while len(ids) < self._batch:
                    try:
                        nxt = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None:
                        return
                    ids.append(nxt)
                batch = [(fid, rgb_to_qimage(crop)) for fid, crop in _crops(db, ids, face_crops)]
                if batch:  # one queued event per batch, not one per face
                    emit(self._loaded, batch)
        finally:
            db.conn.close()


def _crops(db, ids: list[int], face_crops) -> list:  # noqa: ANN001
    """(id, crop) pairs; a face deleted meanwhile is skipped rather than failing the batch."""
    try:
        return list(zip(ids, face_crops(db, ids), strict=False))
    except KeyError:
        out = []
        for fid in ids:
            try:
                out.append((fid, face_crops(db, [fid])[0]))
            except KeyError:
                pass
        return out


_PHOTO_THUMBS: PhotoThumbnails | None = None
BATCH_S = 0.05
MAX_WAITING = 120  # photo thumbnails asked for and still waiting (a few screens of tiles)


def photo_thumbnails() -> PhotoThumbnails:
    """The process's photo thumbnailer (its threads idle when nothing is asked; keyed by path, so
    every window and library shares it)."""
    global _PHOTO_THUMBS
    if _PHOTO_THUMBS is None:
        _PHOTO_THUMBS = PhotoThumbnails()
        # Stopped before Qt's own exit handlers (registered earlier, so run later) delete the objects
        # its threads send to: a thread that sends into a deleted object aborts the process.
        atexit.register(_PHOTO_THUMBS.close)
    return _PHOTO_THUMBS


class PhotoThumbnails(QObject):
    """Whole-photo thumbnails: request(path) → later `ready(path)`. Worker threads take the newest
    requests first (the tiles on screen now), read the thumbnail from the disk cache in the data
    directory or make it there (faceapp.gui.images.cached_thumbnail); the GUI thread keeps a
    bounded cache of QPixmaps. A photo that cannot be read gets a plain grey tile."""

    ready = Signal(list)  # the paths whose thumbnails arrived, a batch at a time
    _loaded = Signal(object)  # [(path, QImage)] from a worker; queued to the GUI thread

    def __init__(self, side: int = 160, cache_size: int = 800, workers: int = 2) -> None:
        super().__init__()
        self.side = side
        self._cache: OrderedDict[str, QPixmap] = OrderedDict()
        self._cache_size = cache_size
        # Asked for, not yet made, newest last: the workers take the newest. Only the latest
        # MAX_WAITING are kept: tiles scrolled past long ago are asked again if painted again.
        self._wanted: OrderedDict[str, None] = OrderedDict()
        self._generation = 0  # drop_requests: results of earlier requests are not wanted
        self._making: set[str] = set()  # taken by a worker now
        self._lock = threading.Condition()
        self._closed = False
        self._loaded.connect(self._store)
        self._placeholder = QPixmap(side, side)
        self._placeholder.fill(QColor(225, 225, 225))
        self._broken = QImage(side, side, QImage.Format.Format_RGB888)
        self._broken.fill(QColor(170, 170, 170))
        self._threads = [threading.Thread(target=self._run, name=f"faceapp-photo-thumbs-{i}", daemon=True)
                         for i in range(workers)]
        for t in self._threads:
            t.start()

    def pixmap(self, path: str) -> QPixmap:
        """The thumbnail, or a light grey square while it is made."""
        pm = self._cache.get(path)
        if pm is not None:
            self._cache.move_to_end(path)
            return pm
        self.request(path)
        return self._placeholder

    def cached(self, path: str) -> QPixmap | None:
        return self._cache.get(path)

    def request(self, path: str) -> None:
        with self._lock:
            if path in self._making:
                return
            if path in self._wanted:  # asked again: on screen now, so it goes first
                self._wanted.move_to_end(path)
                return
            self._wanted[path] = None
            if len(self._wanted) > MAX_WAITING:
                self._wanted.popitem(last=False)
            self._lock.notify()

    def drop_requests(self) -> None:
        """Forget what is still waiting (another list is shown: its visible tiles ask again)."""
        with self._lock:
            self._wanted.clear()
            self._generation += 1

    def forget(self, paths: list[str] | None = None) -> None:
        for p in paths if paths is not None else list(self._cache):
            self._cache.pop(p, None)

    def waiting(self) -> int:
        with self._lock:
            return len(self._wanted)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        for t in self._threads:
            t.join(5)

    @Slot(object)
    def _store(self, batch: list) -> None:
        for path, image in batch:
            self._cache[path] = QPixmap.fromImage(image)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        emit(self.ready, [path for path, _ in batch])

    def _run(self) -> None:  # worker thread
        """Thumbnails go to the GUI thread in batches (a batch is sent when the worker has nothing
        more to do or after BATCH_S): one queued event per batch, not one per photo, keeps the
        GUI thread's share small while the user scrolls fast."""
        batch: list[tuple[str, QImage]] = []
        started = 0.0
        while True:
            with self._lock:
                if batch and (not self._wanted or time.monotonic() - started > BATCH_S):
                    send, batch = batch, []
                else:
                    send = None
                while send is None and not self._wanted and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                if send is None:
                    path, _ = self._wanted.popitem(last=True)
                    generation = self._generation
                    self._making.add(path)
            if send is not None:
                try:
                    emit(self._loaded, send)
                except RuntimeError:  # the application is going away
                    return
                continue
            img = self._make(path)
            with self._lock:
                self._making.discard(path)
                if generation != self._generation:
                    continue  # dropped meanwhile (another list is shown)
            if not batch:
                started = time.monotonic()
            batch.append((path, img))

    def _make(self, path: str) -> QImage:
        from PySide6.QtCore import Qt

        from faceapp.gui.images import cached_thumbnail

        try:
            img = cached_thumbnail(path)
        except Exception:  # noqa: BLE001 — one bad file never stops the thumbnails of the others
            img = None
        if img is None:
            return self._broken
        if max(img.width(), img.height()) > self.side:
            img = img.scaled(self.side, self.side, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
        return img

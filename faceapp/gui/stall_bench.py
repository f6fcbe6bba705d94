"""Benchmark: how long the window freezes on a big library (default 100,000 faces).

    python -m faceapp.gui.stall_bench [--faces 100000] [--db FILE] [--json]
    python -m faceapp.gui.stall_bench --photos 10000 [--db FILE] [--json]

Builds a synthetic library through the storage API (grey crops, clustered random embeddings;
reused when --db already exists), groups it, opens the window offscreen, visits every view,
scrolls the biggest grids, and reports the longest gap between 10 ms GUI-timer ticks per step.

--photos N: the sample album scanned once, then repeated under new names (hard links in a folder
beside the library, one month apart per copy, its faces and embeddings stored again through the
storage API) to N photos, grouped; then the biggest person's Photos tab is opened and scrolled to
its end, and the Photos page likewise, with a cold thumbnail cache (a fresh data directory).
A benchmark, not a test: it takes a minute or two and depends on the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def build_library(path: Path, faces: int, people: int = 2000, seed: int = 0) -> None:
    from faceapp.gui import services
    from faceapp.jobs.models import ensure_active_model
    from faceapp.storage.db import open_library
    from faceapp.storage.photos import save_photo
    from faceapp.storage.tx import transaction

    db = open_library(path)
    model = ensure_active_model(db)
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(people, 128)).astype(np.float32)
    crop = np.full((112, 112, 3), 128, np.uint8)
    lm = np.array([[38, 52], [74, 52], [56, 72], [42, 92], [70, 92]], float)
    for start in range(0, faces, 2000):
        with transaction(db):
            for i in range(start, min(faces, start + 2000), 2):  # two faces per photo
                n = min(2, faces - i)
                vec = centres[(i + np.arange(n)) % people] + 0.3 * rng.normal(size=(n, 128)).astype(np.float32)
                vec /= np.linalg.norm(vec, axis=1, keepdims=True)
                save_photo(db, f"/synthetic/p{i // 2:07d}.jpg", 1000, 0.0, f"h{i}", width=1000, height=800,
                           faces=[{"box": (10.0 + 500 * k, 10.0, 100.0, 100.0), "landmarks": lm, "score": 0.9,
                                   "quality": 0.5, "crop": crop} for k in range(n)],
                           model_row=model["id"], embeddings=vec)
    services.recluster(db)
    db.conn.close()


def build_photo_library(path: Path, photos: int) -> None:
    """The sample album repeated under new names to `photos` photos (see the module's docstring)."""
    from faceapp import paths
    from faceapp.gui import services
    from faceapp.jobs.models import ensure_active_model
    from faceapp.jobs.scan import Scanner
    from faceapp.storage.db import open_library
    from faceapp.storage.faces import embeddings, face_crops, face_rows
    from faceapp.storage.photos import done_photos, save_photo
    from faceapp.storage.tx import transaction

    folder = path.parent / f"{path.stem}-photos"
    db = open_library(path)
    Scanner(db).scan([paths.SAMPLE_ALBUM])
    model = ensure_active_model(db)
    originals = done_photos(db)  # (id, path, width, height)
    rows = face_rows(db)
    ids, vectors = embeddings(db, model["id"])
    vector_of = {int(f): v for f, v in zip(ids, vectors, strict=True)}
    crops = dict(zip([r["id"] for r in rows], face_crops(db, [r["id"] for r in rows]), strict=True))
    faces_of: dict[int, list[dict]] = {}
    for r in rows:
        if r["id"] in vector_of:
            faces_of.setdefault(r["photo_id"], []).append(r)
    copies = -(-max(0, photos - len(originals)) // max(1, len(originals)))
    made = len(originals)
    for k in range(1, copies + 1):
        sub = folder / f"copy{k:04d}"
        sub.mkdir(parents=True, exist_ok=True)
        year, month = 2026 - (k // 12), 12 - (k % 12)  # one month further back per copy
        with transaction(db):
            for n, (pid, src, w, h) in enumerate(originals):
                if made >= photos:
                    break
                dst = sub / Path(src).name
                if not dst.exists():
                    os.link(src, dst)
                st = dst.stat()
                faces = faces_of.get(pid, [])
                save_photo(db, str(dst), st.st_size, st.st_mtime, f"copy{k}-{pid}", width=w, height=h,
                           taken_at=f"{year:04d}-{month:02d}-{1 + n % 28:02d}T12:00:00",
                           faces=[{"box": (f["x"], f["y"], f["w"], f["h"]), "landmarks": f["landmarks"],
                                   "score": f["score"], "quality": f["quality"], "crop": crops[f["id"]]} for f in faces],
                           model_row=model["id"],
                           embeddings=np.stack([vector_of[f["id"]] for f in faces]) if faces else None)
                made += 1
    services.recluster(db)
    merge_copies(db)
    db.conn.close()


def merge_copies(db) -> None:  # noqa: ANN001
    """One person per sample-album name (the copies of a face cluster by copy, not by person): as a
    user merging them would, so the biggest person has a photo in every copy."""
    from faceapp.gui import services

    by_name: dict[str, list[int]] = {}
    for p in services.list_people(db):
        faces = services.person_faces(db, p.id)
        names = [Path(f.path).stem.rsplit("_", 1)[0] for f in faces]
        if names:
            by_name.setdefault(max(set(names), key=names.count), []).append(p.id)
    for ids in by_name.values():
        for other in ids[1:]:
            services.merge(db, ids[0], other)


def _ticking() -> tuple[list[tuple[float, float]], object]:
    """10 ms GUI-timer ticks: (wall clock, the GUI thread's own CPU time) at each. A long wall gap
    with little CPU is the machine (other processes, other threads holding the GIL), not the GUI."""
    from PySide6.QtCore import QTimer

    ticks: list[tuple[float, float]] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append((time.perf_counter(), time.thread_time())))
    timer.start()
    return ticks, timer


def _scroll_to_end(grid, ctx, limit_s: float = 300) -> int:  # noqa: ANN001 (a PhotosGrid)
    """Scroll down a screen at a time, as a user flicking the wheel, until the last photo shows."""
    from faceapp.gui.screenshots import settle

    bar = grid.view.verticalScrollBar()
    end = time.monotonic() + limit_s
    steps = 0
    while time.monotonic() < end:
        settle(0.03)
        if grid.model.finished() and bar.value() >= bar.maximum() and not ctx.reading():
            settle(0.3)  # the layout may still grow (batched): look again
            if bar.value() >= bar.maximum():
                break
        bar.setValue(bar.value() + grid.view.viewport().height())
        steps += 1
    return steps


def measure_photos(db_path: Path) -> tuple[dict[str, float], dict[str, float]]:
    """The longest GUI stall while opening the biggest person's Photos tab and scrolling to its end,
    then the same on the Photos page (every photo). Returns (stalls in ms, what was shown)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from faceapp.gui.app import application, open_window
    from faceapp.gui.screenshots import settle

    application()
    ticks, timer = _ticking()
    out: dict[str, float] = {}
    facts: dict[str, float] = {}

    def step(name: str) -> None:
        pairs = list(zip(ticks, ticks[1:], strict=False))
        out[name] = round(1000 * max((b[0] - a[0] for a, b in pairs), default=0.0))
        out[name + " (cpu)"] = round(1000 * max((b[1] - a[1] for a, b in pairs), default=0.0))
        out[name + " (ticks)"] = len(pairs)
        ticks.clear()

    win = open_window(db_path)
    win.resize(1280, 820)
    win.show()
    settle(1.0, win.ctx, 300)
    step("open + people")
    from faceapp.gui import services

    person = max(services.list_people(win.ctx.db), key=lambda p: p.photos)
    view = win.open_person(person.id)
    settle(0.5, win.ctx, 300)
    step("open person, Photos tab")
    t0 = time.perf_counter()
    steps = _scroll_to_end(view.photos, win.ctx)
    step("scroll person photos to end")
    facts["person photos"] = view.photos.model.photo_count()
    facts["person months"] = len(view.photos.model.months())
    facts["person scroll s"] = round(time.perf_counter() - t0, 1)
    facts["person scroll steps"] = steps
    page = win.show_view("Photos")
    settle(0.5, win.ctx, 300)
    step("open Photos page")
    t0 = time.perf_counter()
    steps = _scroll_to_end(page.grid, win.ctx)
    step("scroll all photos to end")
    facts["all photos"] = page.grid.model.photo_count()
    facts["all scroll s"] = round(time.perf_counter() - t0, 1)
    facts["all scroll steps"] = steps
    timer.stop()
    win.close()
    return out, facts


def measure(db_path: Path) -> dict[str, float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer

    from faceapp.gui.app import application, open_window
    from faceapp.gui.screenshots import settle

    application()
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    out: dict[str, float] = {}

    def step(name: str) -> None:
        gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
        out[name] = round(1000 * max(gaps, default=0.0))
        ticks.clear()
        if os.environ.get("FACEAPP_REFDEBUG"):
            print(name, "None refs", sys.getrefcount(None), "True refs", sys.getrefcount(True), flush=True)

    win = open_window(db_path)
    win.show()
    settle(1.0, win.ctx, 300)
    step("open + people")
    win.open_person(win.people.model.person_at(0).id)
    settle(1.0, win.ctx, 300)
    step("person")
    person = win.person
    person.name.setText("Bench Person")
    person.rename()
    person.grid.selectAll()
    person.confirm_selected()
    person.merge()
    settle(1.0, win.ctx, 300)
    step("rename + confirm + merge")
    for title in ("Review", "Verify", "Export", "Library", "Improve recognition"):
        win.show_view(title)
        settle(1.0, win.ctx, 300)
        step(title.lower())
    verify = win.view("Verify")
    win.show_view("Verify")
    bar = verify.grids[0].verticalScrollBar()
    for _ in range(40):
        bar.setValue(bar.value() + 1500)
        settle(0.03)
    step("scroll all faces")
    win.show_view("People")
    win.people.search.setText("Person 1")
    settle(0.5)
    step("search people")
    win.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faces", type=int, default=100_000)
    ap.add_argument("--photos", type=int, default=0, help="the Photos views on the sample album repeated to N photos")
    ap.add_argument("--db", type=Path, default=None, help="library to build (or reuse when it exists)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    db = args.db or Path(tempfile.mkdtemp(prefix="faceapp-stall-")) / "big.db"
    t0 = time.perf_counter()
    if args.photos:
        os.environ["FACEAPP_HOME"] = tempfile.mkdtemp(prefix="faceapp-stall-home-")  # a cold thumbnail cache
        if not db.exists():
            build_photo_library(db, args.photos)
    elif not db.exists():
        build_library(db, args.faces)
    built = time.perf_counter() - t0
    stalls, facts = measure_photos(db) if args.photos else (measure(db), {})
    size = f"{args.photos} photos" if args.photos else f"{args.faces} faces"
    if args.json:
        print(json.dumps({"photos" if args.photos else "faces": args.photos or args.faces, "build_s": round(built, 1),
                          "longest_stall_ms": stalls, "shown": facts}))
    else:
        print(f"library: {db} ({size}, built in {built:.0f} s)")
        for name, ms in stalls.items():
            if not name.endswith(")"):
                ticks, cpu = stalls.get(name + " (ticks)"), stalls.get(name + " (cpu)")
                print(f"{name:>28}: longest GUI stall {ms} ms" + (f" over {ticks} ticks" if ticks else "")
                      + (f"; most GUI-thread CPU between two ticks {cpu} ms" if cpu is not None else ""))
        for name, value in facts.items():
            print(f"{name:>28}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

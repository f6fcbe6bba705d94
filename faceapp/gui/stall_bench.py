"""Benchmark: how long the window freezes on a big library (default 100,000 faces).

    python -m faceapp.gui.stall_bench [--faces 100000] [--db FILE] [--json]

Builds a synthetic library through the storage API (grey crops, clustered random embeddings;
reused when --db already exists), groups it, opens the window offscreen, visits every view,
scrolls the biggest grids, and reports the longest gap between 10 ms GUI-timer ticks per step.
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


def build_library(path: Path, faces: int, people: int = 2000, seed: int = 0) -> None:
    import numpy as np

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
    ap.add_argument("--db", type=Path, default=None, help="library to build (or reuse when it exists)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    db = args.db or Path(tempfile.mkdtemp(prefix="faceapp-stall-")) / "big.db"
    t0 = time.perf_counter()
    if not db.exists():
        build_library(db, args.faces)
    built = time.perf_counter() - t0
    stalls = measure(db)
    if args.json:
        print(json.dumps({"faces": args.faces, "build_s": round(built, 1), "longest_stall_ms": stalls}))
    else:
        print(f"library: {db} ({args.faces} faces, built in {built:.0f} s)")
        for name, ms in stalls.items():
            print(f"{name:>20}: longest GUI stall {ms} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

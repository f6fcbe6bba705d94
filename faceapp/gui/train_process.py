"""Fine-tuning in a child process, so torch never loads into the window's process.

Importing torch and running its Python-side training loop in a thread of the GUI process held
the GIL long enough to freeze the window for over a second. The child prints one JSON object per
line ({"progress": [...]}, then {"result": {...}} or {"error": "..."}); the parent's worker thread
reads them (a blocking read releases the GIL) and kills the child on cancel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from faceapp.gui import services
from faceapp.progress import Progress

if TYPE_CHECKING:  # the child process never loads Qt
    from faceapp.gui.workers import Token


def train_in_child(db_path: Path, source: str, loss: str, epochs: int, device: str, out_dir: str,
                   token: Token) -> services.TrainReport:
    args = [sys.executable, "-m", "faceapp.gui.train_process", str(db_path), source, loss, str(epochs), device, out_dir]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)

    def watch() -> None:  # a cancel kills the child even while it prints nothing (e.g. loading data)
        while proc.poll() is None:
            if token.cancelled.wait(0.2):
                proc.kill()
                return

    threading.Thread(target=watch, name="faceapp-train-watch", daemon=True).start()
    result, error = None, None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if token.cancelled.is_set():
                break
            try:
                msg = json.loads(line)
            except json.JSONDecodeError:
                continue  # a stray print from a library
            if "progress" in msg:
                token.progress(Progress(**msg["progress"]))
            result, error = msg.get("result", result), msg.get("error", error)
    finally:
        if token.cancelled.is_set() and proc.poll() is None:
            proc.kill()
        proc.wait()
    if token.cancelled.is_set():
        raise RuntimeError("training cancelled")
    if result is None:
        tail = (proc.stderr.read() if proc.stderr else "").strip().splitlines()[-1:] or ["no result"]
        raise RuntimeError(error or tail[0])
    return services.TrainReport(**result)


def main(argv: list[str]) -> int:
    db_path, source, loss, epochs, device, out_dir = argv
    if hasattr(os, "nice"):
        os.nice(5)  # training yields the CPU to the window
    from faceapp.storage.db import open_library

    def say(p: Progress) -> None:
        print(json.dumps({"progress": asdict(p)}), flush=True)

    db = open_library(db_path)
    try:
        report = services.train(db, source, loss, int(epochs), device, out_dir, progress=say)
    except Exception as exc:  # reported to the parent, which shows it
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
        return 1
    finally:
        db.conn.close()
    print(json.dumps({"result": asdict(report)}, default=float), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

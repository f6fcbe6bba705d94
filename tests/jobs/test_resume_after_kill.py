"""kill -9 in the middle of a scan: the library stays consistent and the rescan redoes nothing finished."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from faceapp import paths
from faceapp.jobs.scan import Scanner
from faceapp.storage.db import open_library


def _consistent(db_path: Path) -> int:
    con = sqlite3.connect(db_path)
    done = con.execute("SELECT count(*) FROM photos WHERE status = 'done'").fetchone()[0]
    bad = con.execute(
        "SELECT count(*) FROM photos p WHERE status = 'done' AND face_count != (SELECT count(*) FROM faces f WHERE f.photo_id = p.id)"
    ).fetchone()[0]
    no_emb = con.execute("SELECT count(*) FROM faces f WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.face_id = f.id)").fetchone()[0]
    orphans = con.execute("SELECT count(*) FROM faces f WHERE NOT EXISTS (SELECT 1 FROM photos p WHERE p.id = f.photo_id)").fetchone()[0]
    con.close()
    assert (bad, no_emb, orphans) == (0, 0, 0)
    return done


def test_kill_9_then_resume(tmp_path):
    album = tmp_path / "album"
    album.mkdir()
    srcs = sorted(paths.SAMPLE_ALBUM.glob("*.jpg"))
    for i in range(120):  # enough work that the kill lands mid-scan
        shutil.copy(srcs[i % len(srcs)], album / f"{i:04d}.jpg")
    db_path = tmp_path / "lib.db"
    code = "import sys; from faceapp.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen([sys.executable, "-c", code, "scan", str(album), "--db", str(db_path), "-q",
                             "--workers", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    done = 0
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
        if db_path.exists():
            try:
                con = sqlite3.connect(db_path, timeout=1)
                done = con.execute("SELECT count(*) FROM photos WHERE status = 'done'").fetchone()[0]
                con.close()
            except sqlite3.Error:
                continue
            if done >= 20:
                break
    assert proc.poll() is None, "scan finished before it could be killed; give it more work"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = _consistent(db_path)
    assert 20 <= finished < 120
    before = dict(sqlite3.connect(db_path).execute("SELECT path, scanned_at FROM photos WHERE status='done'").fetchall())
    stats = Scanner(open_library(db_path)).scan([album])
    assert stats.skipped == finished and stats.processed == 120 - finished
    assert _consistent(db_path) == 120
    after = dict(sqlite3.connect(db_path).execute("SELECT path, scanned_at FROM photos").fetchall())
    assert all(after[p] == t for p, t in before.items())

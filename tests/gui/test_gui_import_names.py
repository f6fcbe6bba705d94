"""File → Import face names (XMP): a dry run asks first, the import confirms faces, the re-group gathers the rest."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess

import pytest

pytestmark = pytest.mark.skipif(shutil.which("exiftool") is None,
                                reason="exiftool is not installed (Debian: apt-get install libimage-exiftool-perl)")


@pytest.fixture
def own_photos(grouped_sample, tmp_path):
    """The grouped sample library with its photos copied beside it (sidecars must not land in the repo)."""
    conn = sqlite3.connect(grouped_sample)
    for pid, path in conn.execute("SELECT id, path FROM photos").fetchall():
        dst = tmp_path / "album" / path.rsplit("/", 1)[-1]
        dst.parent.mkdir(exist_ok=True)
        shutil.copy(path, dst)
        conn.execute("UPDATE photos SET path = ? WHERE id = ?", [str(dst), pid])
    conn.commit()
    conn.close()
    return grouped_sample


def _name_in_sidecar(db_path, name: str) -> tuple[int, int]:
    """Another tool's sidecar naming the biggest face of an unnamed person's photo; (face id, person id)."""
    from faceapp.xmp.document import mwg_area

    conn = sqlite3.connect(db_path)
    fid, pid, path, w, h, x, y, fw, fh = conn.execute(
        "SELECT f.id, a.person_id, ph.path, ph.width, ph.height, f.x, f.y, f.w, f.h FROM face_assignments a "
        "JOIN faces f ON f.id = a.face_id JOIN photos ph ON ph.id = f.photo_id JOIN persons p ON p.id = a.person_id "
        "WHERE p.name IS NULL AND (SELECT count(*) FROM face_assignments b WHERE b.person_id = p.id) >= 3 "
        "ORDER BY f.w * f.h DESC LIMIT 1").fetchone()
    conn.close()
    cx, cy, rw, rh = mwg_area(x, y, fw, fh, w, h)
    region = (f"-XMP-mwg-rs:RegionInfo={{AppliedToDimensions={{W={w},H={h},Unit=pixel}},RegionList=[{{Area={{"
              f"X={cx + 0.01:.4f},Y={cy:.4f},W={rw * 0.9:.4f},H={rh:.4f},Unit=normalized}},Name={name},Type=Face}}]}}")
    subprocess.run(["exiftool", "-q", "-o", path + ".xmp", region], check=True, capture_output=True)
    return fid, pid


def test_import_asks_then_names_and_regroups(make_window, own_photos, qtbot, settle):
    from faceapp.gui import services

    fid, pid = _name_in_sidecar(own_photos, "Imported Ida")
    win = make_window(own_photos)
    settle(win)
    before = {p.id: p.faces for p in services.list_people(win.ctx.db)}
    asked: list[str] = []
    job = win.import_names(ask=lambda text: asked.append(text) or True)
    qtbot.waitUntil(lambda: "import" not in win.ctx.busy and win.people.task is None and job.result is not None,
                    timeout=60_000)
    assert asked and "1 confirmed (would be)" in asked[0]
    ida = [p for p in services.list_people(win.ctx.db) if p.name == "Imported Ida"]
    assert len(ida) == 1 and ida[0].faces >= before[pid] - 1  # the re-group gathered her other faces
    assert services.undo(win.ctx.db) is not None  # one step back: the import
    src = win.ctx.db.execute("SELECT source FROM face_assignments WHERE face_id = ?", [fid]).fetchone()
    assert src is None or src[0] != "confirmed"


def test_cancel_after_the_dry_run_writes_nothing(make_window, own_photos, qtbot, settle):
    from faceapp.gui import services

    _name_in_sidecar(own_photos, "Imported Ida")
    win = make_window(own_photos)
    settle(win)
    job = win.import_names(ask=lambda text: False)
    qtbot.waitUntil(lambda: "import" not in win.ctx.busy, timeout=60_000)
    assert job.result is None and "nothing was written" in win.statusBar().currentMessage()
    assert not [p for p in services.list_people(win.ctx.db) if p.name == "Imported Ida"]

"""Exports never overwrite what they did not write, never write through a link, resume after a kill,
fit every name into the file system, keep spreadsheet formulas out of CSV, and say what went wrong
in one line. Albums exported inside a scanned folder are not scanned again."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest

from faceapp.cli import main
from faceapp.jobs import export, people

MANIFEST = ".faceapp-album.json"


@pytest.fixture
def named(db, lib, tmp_path, write_photo):
    """The fake library with real files in a/ and b/ (file names repeat across them); three people named."""
    for (pid,) in db.execute("SELECT id FROM photos").fetchall():
        real = tmp_path / "photos" / ("a" if pid % 2 else "b") / f"img{pid // 2:04d}.jpg"
        write_photo(real, pid)
        db.execute("UPDATE photos SET path = ? WHERE id = ?", [str(real), pid])
    people.recluster(db)
    ps = people.list_people(db)
    for p, name in zip(ps, ["Ann", "Bob", "Cy"]):
        people.name_person(db, p.id, name)
    return ps


def _photos(db, pid: int) -> list[str]:
    return sorted({f.path for f in people.person_faces(db, pid)})


def _album(folder: Path) -> list[Path]:
    """The photos of an album folder (not faceapp's hidden files)."""
    return sorted(f for f in folder.iterdir() if not f.name.startswith("."))


def _contents(out: Path) -> list[bytes]:
    return sorted(f.read_bytes() for d in out.iterdir() if d.is_dir() for f in _album(d))


def _want(db, ps) -> list[bytes]:
    return sorted(Path(p).read_bytes() for x in ps[:3] for p in _photos(db, x.id))


def test_copy_never_replaces_a_file_the_user_had_in_the_album_folder(db, named, tmp_path):
    out = tmp_path / "albums"
    mine = out / "Ann" / Path(_photos(db, named[0].id)[0]).name
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"the user's own file")
    res = export.export_albums(db, out, mode="copy")
    assert res.errors == []
    assert mine.read_bytes() == b"the user's own file"
    assert sorted(_contents(out)) == sorted(_want(db, named) + [b"the user's own file"])


def test_a_leftover_link_is_never_written_through(db, named, tmp_path):
    """A link left by an earlier symlink export (killed before its manifest was saved) that points at
    another photo: a copy export must not copy into the link, which would overwrite that photo."""
    out = tmp_path / "albums"
    ann = _photos(db, named[0].id)
    victim = Path(_photos(db, named[1].id)[0])
    before = victim.read_bytes()
    (out / "Ann").mkdir(parents=True)
    (out / "Ann" / MANIFEST).write_text("{}")
    for name in {Path(src).name for src in ann}:
        os.symlink(victim, out / "Ann" / name)
    res = export.export_albums(db, out, mode="copy")
    assert victim.read_bytes() == before
    assert res.errors == []
    assert sorted(f.read_bytes() for f in _album(out / "Ann") if not f.is_symlink()) == sorted(
        Path(p).read_bytes() for p in ann)


@pytest.mark.parametrize("mode", ["symlink", "hardlink", "copy"])
def test_a_killed_export_resumes_without_errors_or_duplicates(db, named, tmp_path, mode):
    out = tmp_path / "albums"
    first = export.export_albums(db, out, mode=mode)
    for manifest in out.glob(f"*/{MANIFEST}"):  # killed before any manifest was saved
        manifest.unlink()
    (out / "Ann" / ".img0001.jpg.faceapp-3a5b.tmp").write_bytes(b"half a copy")  # and one copy cut short
    again = export.export_albums(db, out, mode=mode)
    assert again.errors == [] and again.written == 0 and again.skipped == first.written
    assert _contents(out) == _want(db, named)
    assert not list(out.glob("*/*.tmp"))
    for f in (f for d in out.iterdir() for f in _album(d)):
        assert f.is_symlink() == (mode == "symlink")


def test_changing_mode_replaces_faceapps_links_and_never_the_originals(db, named, tmp_path):
    out = tmp_path / "albums"
    export.export_albums(db, out, mode="symlink")
    originals = {p: Path(p).read_bytes() for x in named[:3] for p in _photos(db, x.id)}
    res = export.export_albums(db, out, mode="copy")
    assert res.errors == []
    assert {p: Path(p).read_bytes() for p in originals} == originals
    files = [f for d in out.iterdir() for f in _album(d)]
    assert files and not any(f.is_symlink() for f in files)
    assert _contents(out) == _want(db, named)


def test_a_person_folder_that_is_a_link_or_a_file_is_not_used(db, named, tmp_path):
    out = tmp_path / "albums"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out.mkdir()
    (out / "Ann").symlink_to(elsewhere)
    (out / "Bob").write_text("a file called Bob")
    res = export.export_albums(db, out)
    assert res.errors == []
    assert list(elsewhere.iterdir()) == [] and (out / "Bob").read_text() == "a file called Bob"
    assert _contents(out) == _want(db, named)


def test_a_manifest_that_is_a_link_is_not_written_through(db, named, tmp_path):
    out = tmp_path / "albums"
    export.export_albums(db, out)
    target = tmp_path / "precious.txt"
    target.write_text("precious")
    (out / "Ann" / MANIFEST).unlink()
    (out / "Ann" / MANIFEST).symlink_to(target)
    export.export_albums(db, out)
    assert target.read_text() == "precious"


@pytest.mark.parametrize("name", ["A" * 10_000, "家" * 10_000, "😀" * 3000 + "e\u0301" * 100])
def test_a_very_long_name_is_cut_by_bytes_into_valid_utf8(db, named, tmp_path, name):
    people.name_person(db, named[0].id, name)
    people.name_person(db, named[1].id, name)  # two of them: the second folder gets " (2)" and must still fit
    res = export.export_albums(db, tmp_path / "albums")
    assert res.errors == [] and res.people == 3
    folders = [d.name for d in (tmp_path / "albums").iterdir()]
    long = [f for f in folders if f[:1] == name[0]]
    assert len(long) == 2
    for f in long:
        assert len(os.fsencode(f)) <= 255
        f.encode("utf-8")  # no lone surrogates: valid UTF-8
        assert name.startswith(f.removesuffix(" (2)"))


def test_long_photo_file_names_still_fit_when_numbered(db, named, tmp_path, write_photo):
    """Two photos of one person with one 250-byte file name: the second gets " (2)" and must still fit."""
    stem = "é" * 125  # 250 bytes + ".jpg"
    for k, src in enumerate(_photos(db, named[0].id)[:2]):
        dst = tmp_path / "long" / str(k) / f"{stem}.jpg"
        dst.parent.mkdir(parents=True)
        shutil.move(src, dst)
        db.execute("UPDATE photos SET path = ? WHERE path = ?", [str(dst), src])
    res = export.export_albums(db, tmp_path / "albums", person_ids=[named[0].id])
    assert res.errors == []
    names = [f.name for f in _album(tmp_path / "albums" / "Ann")]
    assert len(names) == len(_photos(db, named[0].id))
    assert all(len(os.fsencode(n)) <= 255 and n.endswith(".jpg") for n in names)


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised(db, named, tmp_path):
    evil = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]
    for p, name in zip(named, evil):
        db.execute("UPDATE persons SET name = ? WHERE id = ?", [name, p.id])  # as an XMP import could bring them
    export.export_table(db, tmp_path / "faces.csv", "csv")
    with (tmp_path / "faces.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    cells = [v for r in rows for v in r.values()]
    assert not [v for v in cells if v[:1] in ("=", "+", "@", "\t", "\r") or (v[:1] == "-" and not _number(v))]
    names = {r["person"] for r in rows}
    assert "'=HYPERLINK(\"http://x\",\"y\")" in names and "'@SUM(A1)" in names
    export.export_table(db, tmp_path / "faces.json", "json")  # JSON is data, not a spreadsheet: names as they are
    assert '=HYPERLINK("http://x","y")' in {r["person"] for r in json.loads((tmp_path / "faces.json").read_text())}


def _number(v: str) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return False


def test_a_table_export_never_replaces_a_file_faceapp_did_not_write(db, named, tmp_path):
    out = tmp_path / "faces.csv"
    out.write_text("the user's own spreadsheet")
    with pytest.raises(export.ExportError, match="not written by faceapp"):
        export.export_table(db, out, "csv")
    assert out.read_text() == "the user's own spreadsheet"
    target = tmp_path / "target.csv"
    export.export_table(db, target, "csv")  # faceapp's own file: replaced freely
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    before = target.read_bytes()
    export.export_table(db, link, "csv")  # a link is replaced by the file, never written through
    assert target.read_bytes() == before and not link.is_symlink()


@pytest.fixture
def lib_file(tmp_path, named, db) -> str:
    """A library file with the named fake library in it (the CLI opens files)."""
    path = tmp_path / "lib.db"
    db.conn.execute("VACUUM INTO ?", [str(path)])
    return str(path)


@pytest.mark.parametrize("what, out", [("albums", "file"), ("csv", "folder"), ("csv", "foreign"),
                                       ("json", "folder"), ("xmp", "file")])
def test_cli_export_errors_are_one_line_and_exit_2(lib_file, tmp_path, capsys, what, out):
    target = tmp_path / f"target-{out}"
    if out == "folder":
        target.mkdir()
    else:
        target.write_text("not faceapp's")
    assert main(["export", what, "--out", str(target), "--db", lib_file]) == 2
    err = capsys.readouterr().err
    assert err.startswith("faceapp: ") and err.count("\n") == 1 and "Traceback" not in err
    assert str(target) in err
    if out != "folder":
        assert target.read_text() == "not faceapp's"


def test_albums_exported_inside_a_scanned_folder_are_not_scanned_again(tmp_path):
    """Scan, name, export albums into the scanned folder, scan again: the same photos and faces."""
    from faceapp import paths
    from faceapp.jobs.scan import Scanner
    from faceapp.jobs.scan_plan import IGNORE_MARKER
    from faceapp.storage.db import open_library

    root = tmp_path / "photos"
    root.mkdir()
    for src in sorted(paths.SAMPLE_ALBUM.glob("George_Clooney_*.jpg"))[:3]:
        shutil.copy2(src, root / src.name)
    db = open_library(tmp_path / "lib.db")
    Scanner(db).scan([root])
    people.recluster(db)
    for k, p in enumerate(people.list_people(db)):
        people.name_person(db, p.id, f"P{k}")
    count = lambda: db.execute("SELECT (SELECT count(*) FROM photos), (SELECT count(*) FROM faces)").fetchone()  # noqa: E731
    before = count()
    assert before[1] > 0
    res = export.export_albums(db, root / "albums", mode="copy")
    assert res.written > 0
    assert all((d / IGNORE_MARKER).is_file() for d in (root / "albums").iterdir())
    Scanner(db).scan([root])
    assert count() == before


def test_gui_export_keeps_the_users_table_and_uses_the_safe_album_writer(db, named, tmp_path):
    from faceapp.gui.services.export import export as gui_export

    out = tmp_path / "out"
    out.mkdir()
    (out / "faces.csv").write_text("the user's own")
    res = gui_export(db, str(out), "csv", [p.id for p in named[:3]])
    assert (out / "faces.csv").read_text() == "the user's own"
    assert res["into"] == str(out / "faces (2).csv") and (out / "faces (2).csv").read_text().startswith("photo,")
    again = gui_export(db, str(out), "csv", [p.id for p in named[:3]])  # faceapp's own file: replaced, no (3)
    assert again["into"] == res["into"] and not (out / "faces (3).csv").exists()
    (out / "albums" / "Ann").mkdir(parents=True)
    (out / "albums" / "Ann" / "mine.jpg").write_bytes(b"the user's own album")
    res = gui_export(db, str(out / "albums"), "albums", [named[0].id], mode="copy")
    assert res["errors"] == 0 and (out / "albums" / "Ann" / "mine.jpg").read_bytes() == b"the user's own album"
    assert (out / "albums" / "Ann (2)" / ".faceappignore").exists()


@pytest.mark.parametrize("what", ["albums", "xmp"])
def test_a_full_disk_stops_the_export_with_one_line_and_a_rerun_goes_on(lib_file, tmp_path, capsys, monkeypatch, what):
    import errno

    from faceapp.jobs import export_albums
    from faceapp.xmp import sidecar as xmp_sidecar

    calls = {"n": 0}
    real = export_albums.create if what == "albums" else xmp_sidecar.atomic_write

    def full(*a, **kw):
        calls["n"] += 1
        if calls["n"] > 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*a, **kw)

    monkeypatch.setattr(export_albums if what == "albums" else xmp_sidecar,
                        "create" if what == "albums" else "atomic_write", full)
    out = tmp_path / "out"
    assert main(["export", what, "--out", str(out), "--db", lib_file]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and err.count("\n") == 1
    monkeypatch.undo()
    assert main(["export", what, "--out", str(out), "--db", lib_file]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["errors"] == [] and (res["skipped"] == 3 if what == "albums" else res["unchanged"] == 3)

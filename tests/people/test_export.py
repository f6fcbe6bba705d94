"""Export: albums (copy / hard link / symlink, collisions), CSV/JSON, XMP regions read back by exiftool."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess

import pytest

from faceapp.jobs import export, people
from faceapp.xmp.document import XMP_MARK, mwg_area


@pytest.fixture
def named(db, lib, tmp_path, write_photo):
    """The fake library with real files: two folders holding photos with clashing file names."""
    for (pid,) in db.execute("SELECT id FROM photos").fetchall():
        sub = "a" if pid % 2 else "b"
        real = tmp_path / "photos" / sub / f"img{pid // 2:04d}.jpg"  # names repeat across a/ and b/
        real.parent.mkdir(parents=True, exist_ok=True)
        write_photo(real, pid)
        db.execute("UPDATE photos SET path = ? WHERE id = ?", [str(real), pid])
    people.recluster(db)
    ps = people.list_people(db)
    people.name_person(db, ps[0].id, "Ann/Lee")  # unsafe character in a folder name
    people.name_person(db, ps[1].id, "Bob")
    people.name_person(db, ps[2].id, "Bob")  # two different people called Bob
    return ps


@pytest.mark.parametrize("mode", ["copy", "hardlink", "symlink"])
def test_albums(db, named, tmp_path, mode):
    out = tmp_path / "albums"
    res = export.export_albums(db, out, mode=mode)
    assert res.errors == [] and res.people == 3
    folders = sorted(p.name for p in out.iterdir())
    assert folders == ["Ann_Lee", "Bob", "Bob (2)"]
    total = 0
    for p in named[:3]:
        photos = {f.path for f in people.person_faces(db, p.id)}
        total += len(photos)
    files = [f for d in out.iterdir() for f in d.iterdir() if not f.name.startswith(".")]
    assert len(files) == total == res.written
    for f in files:
        if mode == "symlink":
            assert f.is_symlink() and f.resolve().exists()
        elif mode == "hardlink":
            assert f.stat().st_nlink >= 2
        else:
            assert not f.is_symlink() and f.stat().st_nlink == 1
    again = export.export_albums(db, out, mode=mode)  # re-running adds nothing
    assert again.written == 0 and again.skipped == total


def test_album_file_name_collisions_keep_every_photo(db, named, tmp_path):
    pid = named[0].id
    photos = sorted({f.path for f in people.person_faces(db, pid)})
    export.export_albums(db, tmp_path / "out", person_ids=[pid])
    got = sorted(p.name for p in (tmp_path / "out" / "Ann_Lee").iterdir() if not p.name.startswith("."))
    assert len(got) == len(photos)  # same-named files from a/ and b/ both made it
    assert len({os.path.basename(p) for p in photos}) < len(photos) or len(got) == len(set(got))


def test_tables(db, named, tmp_path):
    res = export.export_table(db, tmp_path / "faces.csv", "csv")
    rows = list(csv.DictReader((tmp_path / "faces.csv").open()))
    assert len(rows) == res.written > 0
    assert set(rows[0]) == {"photo", "face_id", "x", "y", "w", "h", "person_id", "person", "score", "source"}
    export.export_table(db, tmp_path / "faces.json", "json")
    js = json.loads((tmp_path / "faces.json").read_text())
    assert [int(r["face_id"]) for r in rows] == [r["face_id"] for r in js]
    assert {r["person"] for r in js} >= {"Ann/Lee", "Bob"}
    hidden = named[0].id
    people.hide_person(db, hidden)
    assert all(r["person_id"] != hidden for r in export.face_table(db))


def test_mwg_area_is_centre_based_and_clipped():
    assert mwg_area(100, 50, 200, 100, 1000, 500) == pytest.approx((0.2, 0.2, 0.2, 0.2))
    cx, cy, w, h = mwg_area(-50, 0, 100, 100, 1000, 500)
    assert cx == pytest.approx(0.025) and w == pytest.approx(0.05)


def test_xmp_read_back_by_exiftool(db, named, tmp_path):
    if shutil.which("exiftool") is None:
        pytest.skip("exiftool is not installed (Debian: apt-get install libimage-exiftool-perl)")
    res = export.export_xmp(db, out_dir=tmp_path / "xmp")
    assert res.written > 0 and res.errors == []
    table = [r for r in export.face_table(db) if r["named"]]  # unnamed people get no region by default
    checked = 0
    for photo in sorted({r["photo"] for r in table})[:6]:
        side = export.sidecar_path(photo, tmp_path / "xmp")
        out = subprocess.run(["exiftool", "-j", "-struct", "-RegionInfo", "-PersonInImage", str(side)],
                             capture_output=True, text=True, check=True)
        info = json.loads(out.stdout)[0]
        regions = info["RegionInfo"]["RegionList"]
        assert info["RegionInfo"]["AppliedToDimensions"]["W"] == 640
        want = sorted((r["person"], mwg_area(r["x"], r["y"], r["w"], r["h"], 640, 480)) for r in table if r["photo"] == photo)
        got = sorted((g["Name"], (g["Area"]["X"], g["Area"]["Y"], g["Area"]["W"], g["Area"]["H"])) for g in regions)
        assert [n for n, _ in got] == [n for n, _ in want]
        for (_, a), (_, b) in zip(got, want, strict=True):
            assert a == pytest.approx(b, abs=1e-5)
        names = info["PersonInImage"] if isinstance(info["PersonInImage"], list) else [info["PersonInImage"]]
        assert sorted(set(names)) == sorted({n for n, _ in want})
        checked += 1
    assert checked > 0


def test_xmp_leaves_foreign_sidecars_alone(db, named, tmp_path):
    photo = export.face_table(db)[0]["photo"]
    side = export.sidecar_path(photo)
    side.write_text("<x:xmpmeta>someone else's</x:xmpmeta>")
    res = export.export_xmp(db)
    assert res.skipped == 1 and "someone else" in side.read_text()
    res = export.export_xmp(db)  # our own sidecars are rewritten freely
    assert res.skipped == 1 and res.written > 0
    export.export_xmp(db, overwrite=True)
    assert "faceapp" in side.read_text()


def test_xmp_names_only_named_people_unless_asked_and_own_sidecars_lose_stale_regions(db, named, tmp_path):
    out = tmp_path / "xmp"
    table = export.face_table(db)
    unnamed_only = sorted({r["photo"] for r in table} - {r["photo"] for r in table if r["named"]})
    assert unnamed_only, "the fixture should have photos with unnamed people only"
    export.export_xmp(db, out_dir=out)
    assert not export.sidecar_path(unnamed_only[0], out).exists()  # no sidecar saying only "Person N"
    export.export_xmp(db, out_dir=out, include_unnamed=True)
    assert "Person " in export.sidecar_path(unnamed_only[0], out).read_text()
    # a face of a named person marked "not a face": its region leaves faceapp's own sidecar on the next export
    face = next(r for r in table if r["named"])
    side = export.sidecar_path(face["photo"], out)
    assert face["person"] in side.read_text()
    people.mark_not_face(db, [face["face_id"]])
    others = [r for r in export.face_table(db) if r["photo"] == face["photo"] and r["named"]]
    export.export_xmp(db, out_dir=out)
    text = side.read_text()
    assert text.count('mwg-rs:Type="Face"') == len(others) and XMP_MARK in text


@pytest.mark.parametrize("orientation", [2, 3, 4, 5, 6, 7, 8])
def test_xmp_regions_refer_to_the_photo_as_stored(db, named, tmp_path, orientation):
    """MWG areas and AppliedToDimensions are on the stored image (before EXIF orientation), which is how
    digiKam, Lightroom and exiftool place them: a face painted on the upright photo must sit under its
    region's centre in the stored pixels."""
    import re

    from PIL import Image, ImageOps

    face = next(r for r in export.face_table(db) if r["named"])
    upright = Image.new("RGB", (640, 480), (0, 0, 0))
    upright.paste((255, 255, 255), (int(face["x"]), int(face["y"]), int(face["x"] + face["w"]), int(face["y"] + face["h"])))
    T = Image.Transpose  # the inverse of what a viewer (exif_transpose) does for each orientation
    undo = {2: T.FLIP_LEFT_RIGHT, 3: T.ROTATE_180, 4: T.FLIP_TOP_BOTTOM, 5: T.TRANSPOSE, 6: T.ROTATE_90,
            7: T.TRANSVERSE, 8: T.ROTATE_270}[orientation]
    stored = upright.transpose(undo)
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored.save(face["photo"], "JPEG", exif=exif.tobytes(), quality=95)
    with Image.open(face["photo"]) as im:  # the file shows the upright photo, as a viewer turns it
        shown = ImageOps.exif_transpose(im)
        assert shown.size == (640, 480)
        assert min(shown.getpixel((int(face["x"] + face["w"] / 2), int(face["y"] + face["h"] / 2)))) > 200
    res = export.export_xmp(db, out_dir=tmp_path / "xmp")
    assert not [e for e in res.errors if face["photo"] in e]
    text = export.sidecar_path(face["photo"], tmp_path / "xmp").read_text()
    dims = re.search(r'stDim:w="(\d+)" stDim:h="(\d+)"', text)
    assert (int(dims[1]), int(dims[2])) == stored.size
    area = re.search(rf'mwg-rs:Name="{re.escape(face["person"])}"[^>]*>\s*<mwg-rs:Area stArea:x="([\d.]+)" stArea:y="([\d.]+)"', text)
    cx, cy = float(area[1]) * stored.size[0], float(area[2]) * stored.size[1]
    assert min(stored.getpixel((int(cx), int(cy)))) > 200


def test_xmp_skips_a_photo_it_cannot_read_or_that_changed_size(db, named, tmp_path):
    face = next(r for r in export.face_table(db) if r["named"])
    os.remove(face["photo"])
    res = export.export_xmp(db, out_dir=tmp_path / "xmp")
    assert any(face["photo"] in e and "orientation" in e for e in res.errors)
    assert not export.sidecar_path(face["photo"], tmp_path / "xmp").exists()
    from PIL import Image

    Image.new("RGB", (320, 240)).save(face["photo"], "JPEG")
    res = export.export_xmp(db, out_dir=tmp_path / "xmp")
    assert any(face["photo"] in e and "scan it again" in e for e in res.errors)


def test_exporting_some_people_keeps_the_others_regions(db, named, tmp_path):
    out = tmp_path / "xmp"
    export.export_xmp(db, out_dir=out)  # everyone named: Ann/Lee and the two Bobs
    table = [r for r in export.face_table(db) if r["named"]]
    other = next(r for r in table if r["person_id"] != named[0].id)
    side = export.sidecar_path(other["photo"], out)
    before = side.read_bytes()
    res = export.export_xmp(db, out_dir=out, person_ids=[named[0].id])  # then one person only
    assert side.read_bytes() == before and other["person"] in side.read_text()
    assert res.errors == []


def test_names_with_control_characters_are_cleaned_and_xmp_stays_valid_xml(db, named, tmp_path):
    from xml.dom import minidom

    people.name_person(db, named[1].id, "Bo\x0bb\t  Smith\x00")
    assert {p.name for p in people.list_people(db)} >= {"Bo b Smith"}
    db.execute("UPDATE persons SET name = ? WHERE id = ?", ["Old\x0bName", named[2].id])  # stored before the rule
    res = export.export_xmp(db, out_dir=tmp_path / "xmp")
    assert res.errors == []
    for side in (tmp_path / "xmp").rglob("*.xmp"):
        minidom.parseString(side.read_bytes())  # every sidecar parses
    assert any("Old Name" in s.read_text() for s in (tmp_path / "xmp").rglob("*.xmp"))


def _monotone_to_total(seen) -> None:
    from faceapp.progress import Progress

    assert seen and all(isinstance(p, Progress) and p.stage == export.STAGE for p in seen)
    done = [p.done for p in seen]
    assert done == sorted(done) and done[-1] == seen[-1].total > 0


def test_albums_and_xmp_report_progress_and_a_stop_leaves_a_resumable_export(db, named, tmp_path):
    seen = []
    full = export.export_albums(db, tmp_path / "all", progress=seen.append)
    _monotone_to_total(seen)
    assert seen[-1].total == full.written and not full.cancelled
    calls = []
    part = export.export_albums(db, tmp_path / "out", progress=calls.append, stop=lambda: len(calls) >= 3)
    assert part.cancelled and part.written == 3 and not part.errors
    rest = export.export_albums(db, tmp_path / "out")  # a re-run goes on where the stop left it
    assert rest.written == full.written - 3 and rest.skipped == 3 and not rest.cancelled
    seen = []
    export.export_xmp(db, progress=seen.append)
    _monotone_to_total(seen)
    stopped = export.export_xmp(db, stop=lambda: True)
    assert stopped.cancelled and stopped.written == stopped.merged == 0

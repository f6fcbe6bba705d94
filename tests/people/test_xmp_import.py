"""faceapp import xmp: names other tools wrote (sidecars, embedded XMP) become decisions on the right
faces, never override the user's, leave faceapp's own exports alone, and undo as one step."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps, PngImagePlugin

from faceapp.cli import main
from faceapp.jobs import export, people
from faceapp.jobs.xmp_import import import_xmp
from faceapp.storage.backup import backups_of, copy_library, library_file
from faceapp.storage.db import open_library
from faceapp.storage.people import create_person
from faceapp.xmp.document import mwg_area, to_upright
from faceapp.xmp.rdf import XmpError
from faceapp.xmp.read import embedded_packet, read_regions

needs_exiftool = pytest.mark.skipif(shutil.which("exiftool") is None,
                                    reason="exiftool is not installed (Debian: apt-get install libimage-exiftool-perl)")


class Album:
    """The scanned sample library, its photos copied beside the test (so XMP can be written), grouped."""

    def __init__(self, db, folder: Path) -> None:
        self.db, self.folder = db, folder

    def faces(self, stem: str) -> list[dict]:
        """A photo's faces, left to right: id, pixel box, the region another tool would draw."""
        rows = self.db.execute("SELECT f.id, f.x, f.y, f.w, f.h, p.width, p.height FROM faces f JOIN photos p "
                               "ON p.id = f.photo_id WHERE p.path = ? ORDER BY f.x", [str(self.folder / f"{stem}.jpg")])
        return [{"id": i, "box": (x, y, w, h), "area": _drawn(x, y, w, h, pw, ph)} for i, x, y, w, h, pw, ph in rows]

    def photo(self, stem: str) -> Path:
        return self.folder / f"{stem}.jpg"

    def state(self) -> tuple:
        """Everything an import may change."""
        q = self.db.execute
        return (q("SELECT * FROM face_assignments ORDER BY face_id").fetchall(),
                q("SELECT id, name, hidden FROM persons ORDER BY id").fetchall(),
                q("SELECT * FROM face_rejections ORDER BY face_id").fetchall(),
                q("SELECT face_id FROM not_faces ORDER BY face_id").fetchall())

    def person(self, face_id: int) -> tuple[str | None, str] | None:
        r = self.db.execute("SELECT p.name, a.source FROM face_assignments a JOIN persons p ON p.id = a.person_id "
                            "WHERE a.face_id = ?", [face_id]).fetchone()
        return tuple(r) if r else None


def decided(db, face_id: int, name: str) -> int:
    """A person named `name` that holds this face as the user's decision (confirmed as new). Not a
    split: a split also says the faces left behind are not this person, which an import respects."""
    pid = create_person(db, name)
    people.confirm_faces(db, [face_id], pid)
    return pid


def _drawn(x: float, y: float, w: float, h: float, pw: int, ph: int) -> tuple:
    """A head as another tool draws it: a little bigger than the detector's box, and higher."""
    return mwg_area(x - 0.1 * w, y - 0.2 * h, 1.2 * w, 1.3 * h, pw, ph)


@pytest.fixture
def album(scanned_sample, tmp_path) -> Album:
    lib = tmp_path / "lib.db"
    copy_library(scanned_sample, lib)
    db = open_library(lib)
    folder = tmp_path / "photos"
    folder.mkdir()
    for (pid, path) in db.execute("SELECT id, path FROM photos").fetchall():
        dst = folder / Path(path).name
        shutil.copy(path, dst)
        dst.chmod(0o644)
        db.execute("UPDATE photos SET path = ? WHERE id = ?", [str(dst), pid])
    people.recluster(db)
    return Album(db, folder)


def _regions_arg(regions: list[tuple[str, tuple]], dims: tuple[int, int] = (250, 250)) -> str:
    rl = ",".join(f"{{Area={{X={a[0]},Y={a[1]},W={a[2]},H={a[3]},Unit=normalized}},Name={n},Type=Face}}" for n, a in regions)
    return f"-XMP-mwg-rs:RegionInfo={{AppliedToDimensions={{W={dims[0]},H={dims[1]},Unit=pixel}},RegionList=[{rl}]}}"


def sidecar(path: Path, regions: list[tuple[str, tuple]], *tags: str, dims: tuple[int, int] = (250, 250)) -> None:
    """A sidecar as exiftool (and so digiKam-like tools) writes it."""
    subprocess.run(["exiftool", "-q", "-o", str(path), *tags, _regions_arg(regions, dims)], check=True, capture_output=True)


def embed(photo: Path, regions: list[tuple[str, tuple]], dims: tuple[int, int] = (250, 250)) -> None:
    """Regions written into the JPEG itself (Lightroom's way for JPEGs)."""
    subprocess.run(["exiftool", "-q", "-overwrite_original", _regions_arg(regions, dims), str(photo)],
                   check=True, capture_output=True)


@needs_exiftool
def test_names_from_sidecars_and_embedded_xmp_land_on_the_right_faces(album):
    martha = album.faces("Martha_Burk_0004")  # three faces: two small ones at the edges
    marc = album.faces("Marc_Grossman_0003")
    assert len(martha) == 3 and len(marc) == 2
    sidecar(album.folder / "Martha_Burk_0004.jpg.xmp",  # digiKam's naming
            [("Left Guy", martha[0]["area"]), ("Martha Burk", martha[1]["area"]), ("Right Guy", martha[2]["area"]),
             ("Nobody", (0.5, 0.93, 0.05, 0.05))],  # no detected face there
            "-XMP-dc:Subject=family")
    embed(album.photo("Marc_Grossman_0003"), [("Marc Grossman", marc[0]["area"]), ("Colleague", marc[1]["area"])])
    faces_before = album.db.execute("SELECT count(*) FROM faces").fetchone()[0]

    res = import_xmp(album.db)

    assert (res.sidecars, res.embedded, res.regions, res.matched, res.confirmed) == (1, 1, 6, 5, 5)
    kept = backups_of(library_file(album.db))  # the library as it was before the import, kept once
    assert len(kept) == 1 and "before-xmp-import" in kept[0].name
    before = sqlite3.connect(kept[0])
    assert before.execute("SELECT count(*) FROM persons WHERE name = 'Left Guy'").fetchone()[0] == 0
    before.close()
    assert sorted(res.new_people) == ["Colleague", "Left Guy", "Marc Grossman", "Martha Burk", "Right Guy"]
    assert res.conflicts == [] and res.unreadable == []
    assert [(n["name"], Path(n["photo"]).name) for n in res.no_face] == [("Nobody", "Martha_Burk_0004.jpg")]
    for face, name in zip(martha + marc, ["Left Guy", "Martha Burk", "Right Guy", "Marc Grossman", "Colleague"]):
        assert album.person(face["id"]) == (name, "confirmed")
    assert album.db.execute("SELECT count(*) FROM faces").fetchone()[0] == faces_before  # regions never make faces
    assert not any(p.name == "Nobody" for p in people.list_people(album.db, include_hidden=True))

    again = import_xmp(album.db)  # a second run finds everything done
    assert again.confirmed == 0 and again.already == 5 and again.new_people == [] and again.history_id is None


@needs_exiftool
def test_a_name_goes_to_the_person_already_carrying_it(album):
    first, second = album.faces("George_Clooney_0001")[0], album.faces("George_Clooney_0002")[0]
    gid = decided(album.db, first["id"], "George Clooney")
    sidecar(album.photo("George_Clooney_0002").with_suffix(".xmp"), [("  george CLOONEY ", second["area"])])
    n_people = len(people.list_people(album.db, include_hidden=True))
    res = import_xmp(album.db)
    assert res.new_people == [] and res.confirmed == 1
    assert album.db.execute("SELECT person_id, source FROM face_assignments WHERE face_id = ?",
                            [second["id"]]).fetchone() == (gid, "confirmed")
    assert len(people.list_people(album.db, include_hidden=True)) == n_people


@needs_exiftool
def test_the_users_decisions_win_and_each_conflict_is_reported(album):
    db = album.db
    confirmed = album.faces("Paul_Tagliabue_0001")[0]
    decided(db, confirmed["id"], "Paul")
    ann_face = album.faces("Mary_Carey_0001")[0]
    ann = decided(db, ann_face["id"], "Ann")
    rejected = album.faces("Mary_Carey_0002")[0]
    people.reject_faces(db, [rejected["id"]], ann)
    not_face = album.faces("Talal_Keenaan_0001")[0]
    people.mark_not_face(db, [not_face["id"]])
    twice = album.faces("Rebekah_Chantay_Revels_0002")  # one name on both faces of a photo
    sidecar(album.photo("Paul_Tagliabue_0001").with_suffix(".xmp"), [("Someone Else", confirmed["area"])])
    sidecar(album.photo("Mary_Carey_0002").with_suffix(".xmp"), [("ann", rejected["area"])])
    sidecar(album.photo("Talal_Keenaan_0001").with_suffix(".xmp"), [("Talal", not_face["area"])])
    sidecar(album.photo("Rebekah_Chantay_Revels_0002").with_suffix(".xmp"),
            [("Rebekah", twice[0]["area"]), ("Rebekah", twice[1]["area"])])
    ok = album.faces("Justin_Leonard_0001")[0]
    sidecar(album.photo("Justin_Leonard_0001").with_suffix(".xmp"), [("Justin", ok["area"])])
    before = {f: album.person(f) for f in (confirmed["id"], rejected["id"], not_face["id"], *(t["id"] for t in twice))}

    res = import_xmp(db)

    reasons = {c["name"]: c["reason"] for c in res.conflicts}
    assert reasons["Someone Else"] == "decided as Paul in faceapp"
    assert reasons["ann"] == "you said this face is not Ann"
    assert reasons["Talal"] == "marked not a face in faceapp"
    assert reasons["Rebekah"] == "the name is on two faces of this photo"
    assert len(res.conflicts) == 5 and res.confirmed == 1 and res.new_people == ["Justin"]
    assert {f: album.person(f) for f in before} == before  # none of them moved
    assert album.person(ok["id"]) == ("Justin", "confirmed")
    assert db.execute("SELECT 1 FROM not_faces WHERE face_id = ?", [not_face["id"]]).fetchone()


@needs_exiftool
def test_a_second_face_for_a_person_in_one_photo_is_a_conflict(album):
    db = album.db
    a, b = album.faces("Martha_Burk_0004")[:2]
    decided(db, a["id"], "Martha")
    sidecar(album.photo("Martha_Burk_0004").with_suffix(".xmp"), [("Martha", b["area"])])
    res = import_xmp(db)
    assert [c["reason"] for c in res.conflicts] == [f"Martha already has face {a['id']} in this photo"]
    assert album.person(b["id"]) != ("Martha", "confirmed") and album.person(a["id"])[0] == "Martha"
    assert res.confirmed == 0


@needs_exiftool
def test_faceapps_own_regions_are_never_imported(album, tmp_path):
    db = album.db
    named = people.list_people(db)[:4]
    for p in named:
        people.name_person(db, p.id, f"Exported {p.id}")
    face, photo = db.execute("SELECT f.id, ph.path FROM face_assignments a JOIN faces f ON f.id = a.face_id "
                             "JOIN photos ph ON ph.id = f.photo_id WHERE a.person_id = ? ORDER BY f.id",
                             [named[0].id]).fetchone()
    merged_into = Path(photo).with_suffix(".xmp")
    sidecar(merged_into, [("Zed", (0.9, 0.9, 0.05, 0.05))], "-XMP-xmp:Rating=3")  # another tool's, no face there
    res = export.export_xmp(db)
    assert res.written > 0 and res.merged == 1
    assert f'faceapp:face="{face}"' in merged_into.read_text()
    people.name_person(db, named[0].id, "Renamed")  # after the export: the old name must not come back
    before = album.state()

    got = import_xmp(db)

    assert got.own_sidecars == res.written and got.own_regions == 1  # faceapp's merged region in the user's sidecar
    assert got.regions == 1 and [n["name"] for n in got.no_face] == ["Zed"]  # the other tool's region is read
    assert got.confirmed == 0 and got.new_people == [] and got.history_id is None
    assert album.state() == before  # the old name did not come back, nothing was confirmed


@needs_exiftool
def test_a_malformed_sidecar_is_reported_and_the_import_goes_on(album):
    bad = album.photo("Gary_Paer_0001").with_suffix(".xmp")
    bad.write_text("<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF><oops></x:xmpmeta>")
    ok = album.faces("Joseph_Hoy_0001")[0]
    sidecar(album.photo("Joseph_Hoy_0001").with_suffix(".xmp"), [("Joseph Hoy", ok["area"])])
    res = import_xmp(album.db)
    assert [u["path"] for u in res.unreadable] == [str(bad)] and "not well-formed" in res.unreadable[0]["reason"]
    assert album.person(ok["id"]) == ("Joseph Hoy", "confirmed")


@needs_exiftool
def test_a_stem_xmp_shared_by_two_photos_is_ambiguous(album):
    face = album.faces("Bela_Karolyi_0001")[0]
    (album.folder / "Bela_Karolyi_0001.png").write_bytes(b"another photo of this stem")
    sidecar(album.photo("Bela_Karolyi_0001").with_suffix(".xmp"), [("Bela", face["area"])])
    res = import_xmp(album.db)
    assert res.regions == 0 and res.confirmed == 0
    assert [Path(s["path"]).name for s in res.skipped] == ["Bela_Karolyi_0001.jpg"] and "shared" in res.skipped[0]["reason"]


@needs_exiftool
def test_dry_run_writes_nothing_and_undo_reverts_the_whole_import(album):
    names = {"Chris_Columbus_0001": "Chris", "Dieter_Holzer_0001": "Dieter", "James_Hughes_0001": "James"}
    for stem, name in names.items():
        sidecar(album.photo(stem).with_suffix(".xmp"), [(name, album.faces(stem)[0]["area"])])
    before = album.state()
    history = people.history(album.db)
    dry = import_xmp(album.db, dry_run=True)
    assert album.state() == before and people.history(album.db) == history
    assert dry.dry_run and dry.confirmed == 3 and sorted(dry.new_people) == sorted(names.values())

    res = import_xmp(album.db)
    assert (res.confirmed, sorted(res.new_people)) == (dry.confirmed, sorted(dry.new_people))
    assert album.state() != before
    assert [h["action"] for h in people.history(album.db)[:1]] == ["import_xmp"]
    assert people.undo(album.db)["action"] == "import_xmp"  # one step for the whole import
    assert album.state() == before


@needs_exiftool
def test_imported_names_survive_a_recluster(album):
    stems = ["George_Clooney_0003", "George_Clooney_0004", "Justin_Leonard_0002", "Maria_Soledad_Alvear_Valenzuela_0001"]
    names = ["George", "George", "Justin", "Maria"]
    for stem, name in zip(stems, names):
        embed(album.photo(stem), [(name, album.faces(stem)[0]["area"])])
    res = import_xmp(album.db)
    assert res.confirmed == 4 and sorted(res.new_people) == ["George", "Justin", "Maria"]
    people.recluster(album.db)
    for stem, name in zip(stems, names):
        assert album.person(album.faces(stem)[0]["id"]) == (name, "confirmed")
    assert sorted(p.name for p in people.list_people(album.db) if p.name) == ["George", "Justin", "Maria"]
    # and the clustering gathers each person's other photos round the confirmed faces
    clooney = [max(album.faces(stem), key=lambda f: f["box"][2] * f["box"][3])["id"]
               for stem in ("George_Clooney_0001", "George_Clooney_0002", "George_Clooney_0005")]
    assert sum(album.person(f) == ("George", "cluster") for f in clooney) >= 2


@needs_exiftool
def test_microsoft_regions_are_read(album):
    face = album.faces("Michael_Frayn_0001")[0]
    x, y, w, h = face["box"]
    rect = f"{x / 250:.4f}|, {y / 250:.4f}|, {w / 250:.4f}|, {h / 250:.4f}"
    subprocess.run(["exiftool", "-q", "-o", str(album.photo("Michael_Frayn_0001").with_suffix(".xmp")),
                    f"-XMP-MP:RegionInfoMP={{Regions=[{{Rectangle={rect},PersonDisplayName=Michael Frayn}}]}}"],
                   check=True, capture_output=True)
    res = import_xmp(album.db)
    assert res.confirmed == 1 and album.person(face["id"]) == ("Michael Frayn", "confirmed")


@needs_exiftool
def test_cli_reports_counts(album, capsys, tmp_path):
    face = album.faces("Roberto_Arguelles_0001")[0]
    sidecar(album.photo("Roberto_Arguelles_0001").with_suffix(".xmp"), [("Roberto", face["area"])])
    album.db.conn.close()
    db = str(album.folder.parent / "lib.db")
    assert main(["import", "xmp", "--db", db, "--dry-run", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dry_run"] and out["confirmed"] == 1 and out["new_people"] == ["Roberto"]
    assert main(["import", "xmp", "--db", db]) == 0
    text = capsys.readouterr().out
    assert "1 confirmed" in text and "1 new people (Roberto)" in text
    con = sqlite3.connect(db)
    assert con.execute("SELECT p.name FROM face_assignments a JOIN persons p ON p.id = a.person_id "
                       "WHERE a.face_id = ?", [face["id"]]).fetchone() == ("Roberto",)


# --- rotation and embedded packets (no library needed) ---------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
def test_to_upright_agrees_with_pillows_exif_transpose(orientation):
    stored = np.zeros((40, 60), np.uint8)  # 60 wide, 40 high; one marked block
    stored[5:15, 10:30] = 255
    img = Image.fromarray(stored)
    exif = img.getexif()
    exif[0x0112] = orientation
    img.info["exif"] = exif.tobytes()
    up = np.asarray(ImageOps.exif_transpose(img))
    ys, xs = np.nonzero(up)
    want = ((xs.min() + xs.max() + 1) / 2 / up.shape[1], (ys.min() + ys.max() + 1) / 2 / up.shape[0],
            (xs.max() + 1 - xs.min()) / up.shape[1], (ys.max() + 1 - ys.min()) / up.shape[0])
    got = to_upright((20 / 60, 10 / 40, 20 / 60, 10 / 40), orientation)
    assert got == pytest.approx(want)


@needs_exiftool
def test_a_rotated_photos_regions_are_turned_upright(tmp_path, scanned_sample):
    """A portrait photo stored sideways (EXIF orientation 6): MWG areas for the stored image, and
    areas an older tool wrote for the image as shown, both land on the right faces."""
    from faceapp.jobs.scan import Scanner

    src = open_library(scanned_sample).execute("SELECT path FROM photos WHERE path LIKE '%Martha_Burk_0004%'").fetchone()[0]
    upright = Image.open(src).crop((0, 0, 250, 200))  # 250 wide, 200 high as shown
    folder = tmp_path / "rot"
    folder.mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to show"
    for name in ("stored.jpg", "shown.jpg"):
        upright.transpose(Image.Transpose.ROTATE_90).save(folder / name, quality=95, exif=exif.tobytes())
    db = open_library(tmp_path / "rot.db")
    Scanner(db).scan([folder])
    rows = db.execute("SELECT p.path, p.width, p.height, f.id, f.x, f.y, f.w, f.h FROM faces f JOIN photos p "
                      "ON p.id = f.photo_id ORDER BY p.path, f.x").fetchall()
    assert {(r[1], r[2]) for r in rows} == {(250, 200)} and len(rows) >= 4
    by_photo: dict[str, list] = {}
    for path, _, _, fid, x, y, w, h in rows:
        by_photo.setdefault(Path(path).name, []).append((fid, _drawn(x, y, w, h, 250, 200)))
    # stored frame: the file is the upright image turned 90° anticlockwise, so (x, y) shown is (y, 1 - x) stored
    stored = [(f"S{k}", (a[1], 1 - a[0], a[3], a[2])) for k, (_, a) in enumerate(by_photo["stored.jpg"])]
    sidecar(folder / "stored.xmp", stored, dims=(200, 250))
    shown = [(f"T{k}", a) for k, (_, a) in enumerate(by_photo["shown.jpg"])]
    sidecar(folder / "shown.xmp", shown, dims=(250, 200))
    res = import_xmp(db)
    assert res.conflicts == [] and res.no_face == [] and res.skipped == []
    got = dict(db.execute("SELECT a.face_id, p.name FROM face_assignments a JOIN persons p ON p.id = a.person_id "
                          "WHERE a.source = 'confirmed'").fetchall())
    assert got == {fid: f"{'S' if name == 'stored.jpg' else 'T'}{k}"
                   for name, faces in by_photo.items() for k, (fid, _) in enumerate(faces)}


def _packet(body: str) -> bytes:
    return ("<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
            f"<rdf:Description rdf:about=''{body}</rdf:Description></rdf:RDF></x:xmpmeta>").encode()


MP_REGION = _packet(" xmlns:MP='http://ns.microsoft.com/photo/1.2/' xmlns:MPRI='http://ns.microsoft.com/photo/1.2/t/RegionInfo#'"
                    " xmlns:MPReg='http://ns.microsoft.com/photo/1.2/t/Region#'><MP:RegionInfo rdf:parseType='Resource'>"
                    "<MPRI:Regions><rdf:Bag><rdf:li MPReg:Rectangle='0.1, 0.2, 0.3, 0.4' MPReg:PersonDisplayName='Ann'/>"
                    "</rdf:Bag></MPRI:Regions></MP:RegionInfo>")


def test_microsoft_rectangles_are_top_left_and_skipped_on_rotated_photos():
    got = read_regions(MP_REGION, (100, 100), 1)
    assert [(r.name, r.scheme) for r in got.regions] == [("Ann", "mp")]
    assert got.regions[0].box == pytest.approx((0.25, 0.4, 0.3, 0.4))
    rotated = read_regions(MP_REGION, (100, 100), 6)
    assert rotated.regions == [] and "rotated" in rotated.skipped[0]


@pytest.mark.parametrize("compressed", [False, True])
def test_png_itxt_packet_is_found(tmp_path, compressed):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "before the packet")
    info.add_itxt("XML:com.adobe.xmp", MP_REGION.decode(), zip=compressed)
    Image.new("RGB", (8, 8)).save(tmp_path / "a.png", pnginfo=info)
    assert embedded_packet(tmp_path / "a.png") == MP_REGION


def test_jpeg_without_xmp_and_other_formats_give_no_packet(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "a.jpg")
    Image.new("RGB", (8, 8)).save(tmp_path / "a.bmp")
    assert embedded_packet(tmp_path / "a.jpg") is None and embedded_packet(tmp_path / "a.bmp") is None


def test_png_packet_that_unpacks_too_big_is_refused_not_unpacked(tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", " " * (40 * 1024 * 1024), zip=True)  # 40 MB of spaces: a few KB zipped
    Image.new("RGB", (8, 8)).save(tmp_path / "bomb.png", pnginfo=info)
    assert (tmp_path / "bomb.png").stat().st_size < 200_000
    with pytest.raises(XmpError, match="more than 16 MB"):
        embedded_packet(tmp_path / "bomb.png")

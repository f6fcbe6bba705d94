"""XMP export into sidecars other photo tools wrote: merged (their tags and regions kept), backed up
once, never destroyed; exiftool reads the result back."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from faceapp.jobs import export, people
from faceapp.xmp.document import XMP_MARK, mwg_area
from faceapp.xmp.merge import merge_regions
from faceapp.xmp.rdf import XmpError, parse
from faceapp.xmp.regions import MARK_NS, MWG_RS, foreign_regions
from faceapp.xmp.sidecar import SidecarNamer

needs_exiftool = pytest.mark.skipif(shutil.which("exiftool") is None,
                                    reason="exiftool is not installed (Debian: apt-get install libimage-exiftool-perl)")


@pytest.fixture
def photos(db, lib, tmp_path, write_photo):
    """The fake library's photos as real files in one folder; two people named, the rest unnamed.
    Returns {photo path: [face rows]} from the export's own table."""
    for (pid,) in db.execute("SELECT id FROM photos").fetchall():
        real = tmp_path / "photos" / f"img{pid:04d}.jpg"
        real.parent.mkdir(parents=True, exist_ok=True)
        write_photo(real, pid)
        db.execute("UPDATE photos SET path = ? WHERE id = ?", [str(real), pid])
    people.recluster(db)
    ps = people.list_people(db)
    people.name_person(db, ps[0].id, "Ann")
    people.name_person(db, ps[1].id, "Bob")
    out: dict[str, list[dict]] = {}
    for r in export.face_table(db):
        out.setdefault(r["photo"], []).append(r)
    return out


def _one(photos: dict, named: bool) -> tuple[str, dict]:
    """A photo with a single face whose person is (or is not) named."""
    return next((p, fs[0]) for p, fs in sorted(photos.items()) if len(fs) == 1 and fs[0]["named"] == named)


def _n_named(photos: dict) -> int:
    """Photos that get a sidecar by default: those with a named person's face."""
    return sum(any(f["named"] for f in fs) for fs in photos.values())


def _area(face: dict) -> tuple[float, float, float, float]:
    return mwg_area(face["x"], face["y"], face["w"], face["h"], 640, 480)


def _exiftool_sidecar(path: Path, regions: list[tuple[str, str, tuple]], *tags: str) -> None:
    rl = ",".join(f"{{Area={{X={a[0]},Y={a[1]},W={a[2]},H={a[3]},Unit=normalized}},Name={n},Type={t}}}" for n, t, a in regions)
    info = f"-XMP-mwg-rs:RegionInfo={{AppliedToDimensions={{W=640,H=480,Unit=pixel}},RegionList=[{rl}]}}"
    subprocess.run(["exiftool", "-q", "-o", str(path), *tags, *([info] if regions else [])], check=True, capture_output=True)


def _read(path: Path) -> dict:
    out = subprocess.run(["exiftool", "-j", "-struct", "-XMP:all", str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)[0]


@needs_exiftool
def test_merge_into_exiftool_sidecar_keeps_its_tags_and_regions(db, photos):
    photo, face = _one(photos, named=True)
    cx, cy, w, h = _area(face)
    side = Path(photo).with_suffix(".xmp")
    _exiftool_sidecar(side, [("Rex", "Pet", (0.5, 0.5, 0.1, 0.1)),
                             ("Zed", "Face", (0.8, 0.8, 0.1, 0.1)),  # touches none of ours: kept
                             ("Old name", "Face", (cx + 0.01, cy, w, h))],  # on our named face: replaced
                      "-XMP-dc:Subject=holiday", "-XMP-dc:Subject=beach", "-XMP-xmp:Rating=4",
                      "-XMP-dc:Title=Summer", "-XMP-iptcExt:PersonInImage=Zed", "-XMP-iptcExt:PersonInImage=Old name")
    before = side.read_bytes()
    res = export.export_xmp(db)
    assert res.merged == 1 and res.errors == [] and res.written == _n_named(photos) - 1
    info = _read(side)
    assert info["Subject"] == ["holiday", "beach"] and info["Rating"] == 4 and info["Title"] == "Summer"
    got = [(r["Name"], r["Type"], (r["Area"]["X"], r["Area"]["Y"], r["Area"]["W"], r["Area"]["H"]))
           for r in info["RegionInfo"]["RegionList"]]
    assert [(n, t) for n, t, _ in got] == [("Rex", "Pet"), ("Zed", "Face"), (face["person"], "Face")]
    assert got[0][2] == (0.5, 0.5, 0.1, 0.1) and got[1][2] == (0.8, 0.8, 0.1, 0.1)
    assert got[2][2] == pytest.approx((cx, cy, w, h), abs=1e-5)
    assert info["RegionInfo"]["AppliedToDimensions"] == {"W": 640, "H": 480, "Unit": "pixel"}
    assert info["PersonInImage"] == ["Zed", face["person"]]  # the replaced region's name went with it
    assert XMP_MARK not in side.read_text()  # still the user's sidecar: the next run merges, never replaces
    assert side.with_name(side.name + ".faceapp-bak").read_bytes() == before


def test_overlap_rule_unnamed_face_keeps_the_other_tools_name():
    # ours: a named face at the left, an unnamed one at the right; theirs: names on both, one more elsewhere
    ours = [{"x": 40, "y": 40, "w": 100, "h": 120, "person": "Ann", "named": True},
            {"x": 400, "y": 40, "w": 100, "h": 120, "person": "Person 7", "named": False}]
    a, b = (mwg_area(f["x"], f["y"], f["w"], f["h"], 640, 480) for f in ours)
    theirs = _lightroom_xmp([("Annie", a[0] + 0.04, a[1] + 0.1, a[2] * 0.3, a[3] * 0.3),  # small, centre inside: ours wins
                             ("Carl", b[0], b[1], b[2], b[3]),  # our face is unnamed: Carl stays
                             ("Dee", a[0] + a[2] * 0.8, a[1], a[2], a[3])])  # IoU < 0.5, centre outside: kept
    merged = merge_regions(theirs, 640, 480, ours)
    doc, _ = parse(merged)
    regions = foreign_regions(doc.getElementsByTagNameNS(MWG_RS, "Regions")[0], 640, 480)
    assert [(r.name, r.kind) for r in regions] == [("Ann", "Face"), ("Carl", "Face"), ("Dee", "Face")]
    assert regions[0].box == pytest.approx(a, abs=1e-5)
    assert b"Person 7" not in merged and b"Annie" not in merged
    assert b"other-tool:keep" in merged  # an unrelated property of theirs


def _lightroom_xmp(faces: list[tuple]) -> bytes:
    """Lightroom's spelling: a nested rdf:Description with the fields as attributes; an odd prefix."""
    lis = "".join(f'<rdf:li><rdf:Description mr:Name="{n}" mr:Type="Face"><mr:Area ar:x="{x}" ar:y="{y}" ar:w="{w}" '
                  f'ar:h="{h}" ar:unit="normalized"/></rdf:Description></rdf:li>' for n, x, y, w, h in faces)
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:o="urn:other-tool" o:flag="other-tool:keep">'
        '<mr:Regions xmlns:mr="http://www.metadataworkinggroup.com/schemas/regions/" '
        'xmlns:ar="http://ns.adobe.com/xmp/sType/Area#"><rdf:Description>'
        f"<mr:RegionList><rdf:Bag>{lis}</rdf:Bag></mr:RegionList></rdf:Description></mr:Regions>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()


@needs_exiftool
def test_lightroom_spelling_reads_back_in_exiftool(db, photos):
    """Namespaces declared on the replaced Regions element still reach the regions kept from it."""
    photo, face = _one(photos, named=True)
    side = Path(photo).with_suffix(".xmp")
    side.write_bytes(_lightroom_xmp([("Zed", 0.8, 0.8, 0.1, 0.1)]))
    assert export.export_xmp(db).merged == 1
    info = _read(side)
    assert [r["Name"] for r in info["RegionInfo"]["RegionList"]] == ["Zed", face["person"]]
    assert info["RegionInfo"]["RegionList"][0]["Area"]["X"] == 0.8


def test_unparseable_sidecar_is_left_byte_identical(db, photos):
    photo, _ = _one(photos, named=True)
    side = Path(photo).with_suffix(".xmp")
    junk = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>broken & not xml'
    side.write_bytes(junk)
    mtime = side.stat().st_mtime_ns
    res = export.export_xmp(db)
    assert side.read_bytes() == junk and side.stat().st_mtime_ns == mtime
    assert res.skipped == 1 and len(res.errors) == 1
    assert str(side) in res.errors[0] and "well-formed" in res.errors[0] and "untouched" in res.errors[0]
    assert not side.with_name(side.name + ".faceapp-bak").exists()
    assert res.written == _n_named(photos) - 1  # the others were still exported


def test_rotated_regions_are_not_merged():
    xmp = _lightroom_xmp([("Zed", 0.5, 0.5, 0.1, 0.1)]).replace(
        b"<mr:RegionList>", b'<mr:AppliedToDimensions xmlns:d="http://ns.adobe.com/xap/1.0/sType/Dimensions#" '
                            b'd:w="480" d:h="640" d:unit="pixel"/><mr:RegionList>')
    with pytest.raises(XmpError, match="rotated"):
        merge_regions(xmp, 640, 480, [{"x": 1, "y": 1, "w": 9, "h": 9, "person": "Ann", "named": True}])


@needs_exiftool
def test_second_export_changes_no_byte_and_backup_is_made_once(db, photos):
    photo, _ = _one(photos, named=True)
    side = Path(photo).with_suffix(".xmp")
    _exiftool_sidecar(side, [("Rex", "Pet", (0.5, 0.5, 0.1, 0.1))], "-XMP-xmp:Rating=2")
    original = side.read_bytes()
    export.export_xmp(db)
    first = {p: p.read_bytes() for p in side.parent.iterdir()}
    stamps = {p: p.stat().st_mtime_ns for p in first}
    res = export.export_xmp(db)
    assert res.unchanged == res.written + res.merged == _n_named(photos)
    assert {p: p.read_bytes() for p in side.parent.iterdir()} == first
    assert {p: p.stat().st_mtime_ns for p in first} == stamps
    # the user's tool edits the merged sidecar; the next export merges again, the backup stays the first original
    subprocess.run(["exiftool", "-q", "-overwrite_original", "-XMP-xmp:Rating=5", str(side)], check=True)
    res = export.export_xmp(db)
    assert res.merged == 1 and res.unchanged == _n_named(photos) - 1
    assert _read(side)["Rating"] == 5 and [r["Name"] for r in _read(side)["RegionInfo"]["RegionList"]][0] == "Rex"
    assert side.with_name(side.name + ".faceapp-bak").read_bytes() == original


@needs_exiftool
def test_digikam_style_sidecar_is_found_and_merged(db, photos):
    photo, face = _one(photos, named=True)
    side = Path(photo + ".xmp")
    _exiftool_sidecar(side, [], "-XMP-xmp:Rating=3", "-XMP-dc:Subject=family")
    res = export.export_xmp(db)
    assert res.merged == 1 and export.sidecar_path(photo) == side
    assert not Path(photo).with_suffix(".xmp").exists()
    info = _read(side)
    assert info["Rating"] == 3 and info["Subject"] in ("family", ["family"])
    assert [r["Name"] for r in info["RegionInfo"]["RegionList"]] == [face["person"]]


def test_photos_sharing_a_stem_get_their_own_sidecars(db, photos, tmp_path):
    """a.jpg + a.png (or RAW + JPEG): the shared a.xmp belongs to neither; it is never touched."""
    photo, _ = _one(photos, named=True)
    raw = Path(photo).with_suffix(".cr2")
    raw.write_bytes(b"raw")
    lightroom = Path(photo).with_suffix(".xmp")
    lightroom.write_bytes(b"<x:xmpmeta>the raw file's develop settings</x:xmpmeta>")
    res = export.export_xmp(db)
    assert res.errors == [] and res.written == _n_named(photos)
    assert lightroom.read_bytes() == b"<x:xmpmeta>the raw file's develop settings</x:xmpmeta>"
    assert XMP_MARK in Path(photo + ".xmp").read_text()
    names = SidecarNamer(tmp_path / "out", [photo, str(Path(photo).with_suffix(".png"))])
    assert names.path(photo).name == Path(photo).name + ".xmp"


def test_overwrite_replaces_whole_but_keeps_the_one_backup(db, photos):
    photo, _ = _one(photos, named=True)
    side = Path(photo).with_suffix(".xmp")
    side.write_bytes(b"not even xml")
    export.export_xmp(db, overwrite=True)
    assert XMP_MARK in side.read_text()
    assert side.with_name(side.name + ".faceapp-bak").read_bytes() == b"not even xml"
    res = export.export_xmp(db, overwrite=True)  # ours now: rewritten as before, the backup untouched
    assert res.unchanged == _n_named(photos) and side.with_name(side.name + ".faceapp-bak").read_bytes() == b"not even xml"


def _regions(path: Path) -> list[tuple[str, tuple]]:
    info = _read(path).get("RegionInfo", {"RegionList": []})
    return [(r["Name"], (r["Area"]["X"], r["Area"]["Y"], r["Area"]["W"], r["Area"]["H"])) for r in info["RegionList"]]


@needs_exiftool
def test_our_earlier_region_follows_rename_and_not_a_face_foreign_ones_stay(db, photos):
    photo, face = _one(photos, named=True)
    side = Path(photo).with_suffix(".xmp")
    near = (_area(face)[0] + 0.002, *_area(face)[1:])  # another tool's box on our face, not exactly ours
    _exiftool_sidecar(side, [("Rex", "Pet", (0.5, 0.5, 0.1, 0.1)), ("Zed", "Face", (0.8, 0.8, 0.1, 0.1))],
                      "-XMP-iptcExt:PersonInImage=Zed")
    export.export_xmp(db)
    info = _read(side)
    assert info["RegionInfo"]["RegionList"][2]["Face"] == face["face_id"]  # the mark, as exiftool reads it
    assert f'faceapp:face="{face["face_id"]}"' in side.read_text() and MARK_NS in side.read_text()
    # the user's tool edits the sidecar in place: the mark survives, so the region is still known as ours
    subprocess.run(["exiftool", "-q", "-overwrite_original", "-XMP-xmp:Rating=5", str(side)], check=True)
    assert "faceapp:face" in side.read_text()
    people.name_person(db, face["person_id"], "Annabel")
    assert export.export_xmp(db).merged == 1
    assert [n for n, _ in _regions(side)] == ["Rex", "Zed", "Annabel"]  # not "Ann" beside "Annabel"
    assert _read(side)["PersonInImage"] == ["Zed", "Annabel"] and _read(side)["Rating"] == 5
    people.mark_not_face(db, [face["face_id"]])
    res = export.export_xmp(db)  # the photo has no face to export any more: its sidecar is still visited
    assert res.merged == 1 and res.errors == []
    assert _regions(side) == [("Rex", (0.5, 0.5, 0.1, 0.1)), ("Zed", (0.8, 0.8, 0.1, 0.1))]
    assert _read(side)["PersonInImage"] in ("Zed", ["Zed"]) and _read(side)["Rating"] == 5
    # a foreign region exactly where faceapp's stale one was, but not faceapp's box: never removed
    side.unlink()
    _exiftool_sidecar(side, [("Carl", "Face", near)])
    before = side.read_bytes()
    export.export_xmp(db)
    assert side.read_bytes() == before
    assert export.export_xmp(db).merged == 0  # nothing of ours in it: not counted, not rewritten


@needs_exiftool
def test_mark_dropped_by_a_tag_copy_falls_back_to_our_exact_box(db, photos, tmp_path):
    photo, face = _one(photos, named=True)
    side = Path(photo).with_suffix(".xmp")
    _exiftool_sidecar(side, [("Zed", "Face", (0.8, 0.8, 0.1, 0.1))])
    export.export_xmp(db)
    copy = tmp_path / "copy.xmp"  # exiftool copies known tags only: faceapp:face is lost
    subprocess.run(["exiftool", "-q", "-o", str(copy), "-tagsfromfile", str(side), "-xmp:all"], check=True)
    assert "faceapp:face" not in copy.read_text() and [n for n, _ in _regions(copy)] == ["Zed", "Ann"]
    shutil.move(copy, side)
    people.reject_faces(db, [face["face_id"]], face["person_id"])  # "not Ann"
    assert export.export_xmp(db).merged == 1
    assert [n for n, _ in _regions(side)] == ["Zed"]


def test_foreign_face_regions_are_never_taken_for_ours():
    """No mark and a box that is not exactly one faceapp writes: another tool's, whatever its name."""
    face = {"face_id": 3, "x": 40, "y": 40, "w": 100, "h": 120, "person": "Ann", "named": True}
    a = mwg_area(40, 40, 100, 120, 640, 480)
    theirs = _lightroom_xmp([("Ann", a[0] + 1e-4, a[1], a[2], a[3]), ("Person 3", 0.9, 0.9, 0.05, 0.05)])
    boxes = {3: tuple(round(v, 6) for v in a), 4: (0.9, 0.9, 0.05, 0.06)}
    assert merge_regions(theirs, 640, 480, [], {}, boxes) == theirs  # Ann's face is "not a face" now
    merged = merge_regions(theirs, 640, 480, [face], {3: face}, boxes)
    doc, _ = parse(merged)
    regions = foreign_regions(doc.getElementsByTagNameNS(MWG_RS, "Regions")[0], 640, 480)
    assert [(r.name, r.mark) for r in regions] == [("Ann", "3"), ("Person 3", "")]  # theirs replaced by ours
    assert merge_regions(merged, 640, 480, [face], {3: face}, boxes) == merged


def test_unnamed_people_stay_out_of_other_tools_sidecars(db, photos):
    photo, face = _one(photos, named=False)
    side = Path(photo).with_suffix(".xmp")
    side.write_bytes(_lightroom_xmp([]))
    res = export.export_xmp(db)
    assert side.read_bytes() == _lightroom_xmp([]) and not side.with_name(side.name + ".faceapp-bak").exists()
    assert res.merged == 1 and res.unchanged == 1  # counted, nothing to add
    assert b"Person " not in side.read_bytes()
    own = next(Path(p).with_suffix(".xmp") for p, fs in photos.items() if not any(f["named"] for f in fs) and p != photo)
    assert not own.exists()  # nor does faceapp write a sidecar of its own that would only say "Person N"
    export.export_xmp(db, include_unnamed=True)
    assert face["person"].encode() in side.read_bytes()
    # named later: the region turns into the name; unnamed again: it leaves the user's sidecar
    people.name_person(db, face["person_id"], "Cleo")
    export.export_xmp(db)
    assert b'Name="Cleo"' in side.read_bytes() and face["person"].encode() not in side.read_bytes()
    people.name_person(db, face["person_id"], None)
    export.export_xmp(db)
    assert b"Cleo" not in side.read_bytes() and b"mwg-rs:Regions" not in side.read_bytes()
    assert b"other-tool:keep" in side.read_bytes()


def test_exporting_other_people_keeps_our_earlier_region_current(db, photos):
    photo, face = _one(photos, named=True)
    side = Path(photo).with_suffix(".xmp")
    side.write_bytes(_lightroom_xmp([]))
    export.export_xmp(db)
    merged = side.read_bytes()
    others = [p.id for p in people.list_people(db) if p.id != face["person_id"]]
    res = export.export_xmp(db, person_ids=others[:1])
    assert side.read_bytes() == merged and res.merged == 0
    people.name_person(db, face["person_id"], "Anne")
    export.export_xmp(db, person_ids=others[:1])  # not selected, still exportable: brought up to date
    assert b'Name="Anne"' in side.read_bytes() and b'Name="Ann"' not in side.read_bytes()


@needs_exiftool
def test_sideways_photo_merges_with_regions_on_the_stored_image(db, photos, write_photo):
    """A portrait photo stored sideways (orientation 6): another tool's regions for the stored 480x640
    image are kept (not refused as "rotated"), and faceapp's own go in on that frame too."""
    photo, face = _one(photos, named=True)
    write_photo(Path(photo), 1, orientation=6)
    side = Path(photo).with_suffix(".xmp")
    _exiftool_sidecar(side, [("Rex", "Pet", (0.5, 0.5, 0.1, 0.1))], "-XMP-xmp:Rating=3")
    subprocess.run(["exiftool", "-q", "-overwrite_original", "-XMP-mwg-rs:RegionAppliedToDimensionsW=480",
                    "-XMP-mwg-rs:RegionAppliedToDimensionsH=640", str(side)], check=True)
    res = export.export_xmp(db)
    assert res.merged == 1 and not [e for e in res.errors if photo in e]
    info = _read(side)
    assert (info["RegionInfo"]["AppliedToDimensions"]["W"], info["RegionInfo"]["AppliedToDimensions"]["H"]) == (480, 640)
    ours = next(r for r in info["RegionInfo"]["RegionList"] if r["Name"] == face["person"])
    x, y, w, h = _area(face)  # upright (640x480) centre box; orientation 6 stores it turned: (y, 1 - x), w/h swapped
    assert (ours["Area"]["X"], ours["Area"]["Y"], ours["Area"]["W"], ours["Area"]["H"]) == pytest.approx((y, 1 - x, h, w), abs=1e-5)
    assert [r["Name"] for r in info["RegionInfo"]["RegionList"]][0] == "Rex"


def test_sidecars_into_a_folder_mirror_the_library_folders_not_the_absolute_path(tmp_path):
    """XMP "into folder": each photo's sidecar goes under the name of the library folder that holds
    it, then its path inside that folder (not the photo's absolute path recreated under out)."""
    out = tmp_path / "out"
    home, other = tmp_path / "a" / "Pictures", tmp_path / "b" / "Pictures"  # two folders, one name (in sorted order)
    names = SidecarNamer(out, (), roots=[str(home), str(home / "2020"), str(other)])
    assert names.path(str(home / "2020" / "beach" / "a.jpg")) == out / "Pictures" / "2020" / "beach" / "a.xmp"
    assert names.path(str(home / "b.jpg")) == out / "Pictures" / "b.xmp"
    assert names.path(str(other / "b.jpg")) == out / "Pictures (2)" / "b.xmp"  # never the other b's sidecar
    loose = tmp_path / "elsewhere" / "c.jpg"  # in no library folder: under its own folder's name
    assert names.path(str(loose)).parent.parent == out
    assert names.path(str(loose)) not in {names.path(str(home / "c.jpg")), names.path(str(other / "c.jpg"))}


def test_xmp_export_into_a_folder_mirrors_the_scanned_folder(db, photos, tmp_path):
    from faceapp.storage.photos import record_scan

    folder = Path(next(iter(photos))).parent
    root = folder.parent
    record_scan(db, "2024-01-01T00:00:00+00:00", [str(root)], {})  # the folder a scan walked
    out = tmp_path / "out"
    res = export.export_xmp(db, out_dir=out)
    assert res.errors == [] and res.written == _n_named(photos)
    made = sorted(p.relative_to(out) for p in out.rglob("*.xmp"))
    assert made and all(p.parent == Path(root.name) / folder.name for p in made), made[:3]
    assert export.sidecar_path(next(iter(photos)), out, [str(root)]).is_file()

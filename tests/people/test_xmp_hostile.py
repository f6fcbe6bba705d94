"""Hostile sidecars: an entity smuggled in through UTF-16 without a BOM, nesting deep enough to blow
Python's recursion limit, a sidecar that is a link out of the photo tree. Each is refused with a
reason; the rest of the import or export goes on; nothing is written through a link."""

from __future__ import annotations

from pathlib import Path

import pytest

from faceapp.jobs import export, people
from faceapp.jobs.xmp_import import import_xmp
from faceapp.xmp.document import XMP_MARK, mwg_area
from faceapp.xmp.merge import merge_regions
from faceapp.xmp.rdf import XmpError, parse, read_sidecar
from faceapp.xmp.read import read_regions

DRAWN = (5, 10, 110, 140)  # that face as another tool draws it (not exactly faceapp's own area)


def packet(name: str, prolog: str = "", inner: str = "", area: tuple = mwg_area(*DRAWN, 640, 480)) -> str:
    """Another tool's sidecar with one named Face region over the first face."""
    x, y, w, h = area
    return (f"{prolog}<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
            "<rdf:Description rdf:about=\"\" xmlns:mwg-rs=\"http://www.metadataworkinggroup.com/schemas/regions/\" "
            "xmlns:stArea=\"http://ns.adobe.com/xmp/sType/Area#\" xmlns:stDim=\"http://ns.adobe.com/xap/1.0/sType/Dimensions#\">"
            f"{inner}<mwg-rs:Regions rdf:parseType=\"Resource\">"
            "<mwg-rs:AppliedToDimensions stDim:w=\"640\" stDim:h=\"480\" stDim:unit=\"pixel\"/>"
            "<mwg-rs:RegionList><rdf:Bag><rdf:li><rdf:Description mwg-rs:Type=\"Face\" "
            f"mwg-rs:Name=\"{name}\"><mwg-rs:Area stArea:x=\"{x}\" stArea:y=\"{y}\" stArea:w=\"{w}\" stArea:h=\"{h}\" "
            "stArea:unit=\"normalized\"/></rdf:Description></rdf:li></rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>"
            "</rdf:Description></rdf:RDF></x:xmpmeta>")


ENTITY = packet("&who;", prolog='<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x:xmpmeta [<!ENTITY who "Mallory">]>')
UTF16_NO_BOM = ENTITY.encode("utf-16-le")
DEEP = packet("Deep", inner="<a>" * 1000 + "</a>" * 1000).encode()


def test_the_packet_itself_is_fine_in_utf8():
    assert [r.name for r in read_regions(packet("Ann").encode(), (640, 480)).regions] == ["Ann"]


@pytest.mark.parametrize("data", [UTF16_NO_BOM, ENTITY.encode("utf-16-be"), ENTITY.replace("UTF-16", "UTF-8").encode(),
                                  "\ufeff".encode("utf-16-le") + UTF16_NO_BOM,
                                  packet("Ann", prolog='<?xml version="1.0" encoding="UTF-16"?>').encode("utf-16-le")],
                         ids=["utf16le", "utf16be", "utf8", "utf16-bom", "utf16-no-doctype"])
def test_a_doctype_or_another_encoding_is_refused_whatever_the_bytes(data):
    with pytest.raises(XmpError):
        parse(data)
    with pytest.raises(XmpError):
        read_regions(data, (640, 480))
    with pytest.raises(XmpError):
        merge_regions(data, 640, 480, [])


def test_deep_nesting_is_refused_not_a_recursion_error():
    assert len(DEEP) < 8000
    with pytest.raises(XmpError, match="deep"):
        read_regions(DEEP, (640, 480))
    with pytest.raises(XmpError, match="deep"):
        merge_regions(DEEP, 640, 480, [])


@pytest.fixture
def photos(db, lib, tmp_path, write_photo) -> list[Path]:
    """The fake library's photos as real files in one folder, grouped; the first person named."""
    for (pid,) in db.execute("SELECT id FROM photos").fetchall():
        real = tmp_path / "photos" / f"img{pid:04d}.jpg"
        write_photo(real, pid)
        db.execute("UPDATE photos SET path = ? WHERE id = ?", [str(real), pid])
    people.recluster(db)
    people.name_person(db, people.list_people(db)[0].id, "Ann")
    return sorted(tmp_path.glob("photos/*.jpg"))


def _names(db) -> set[str]:
    return {p.name for p in people.list_people(db, include_hidden=True) if p.name}


def test_import_reports_hostile_sidecars_and_goes_on(db, photos, tmp_path):
    outside = tmp_path / "elsewhere.xmp"
    outside.write_text(packet("Linked Larry"))
    photos[0].with_suffix(".xmp").write_bytes(UTF16_NO_BOM)
    photos[1].with_suffix(".xmp").write_bytes(DEEP)
    photos[2].with_suffix(".xmp").symlink_to(outside)
    photos[3].with_suffix(".xmp").write_text(packet("Good Gail"))
    res = import_xmp(db)
    names = _names(db)
    assert "Mallory" not in names and "Deep" not in names and "Linked Larry" not in names
    assert "Good Gail" in names
    bad = {Path(u["path"]).name: u["reason"] for u in res.unreadable}
    assert set(bad) == {p.with_suffix(".xmp").name for p in photos[:3]}
    assert "deep" in bad[photos[1].with_suffix(".xmp").name]
    assert "link" in bad[photos[2].with_suffix(".xmp").name]


def test_export_reports_hostile_sidecars_and_goes_on(db, photos):
    table = export.face_table(db)
    ann = sorted({r["photo"] for r in table if r["person"] == "Ann"})
    assert len(ann) >= 3
    hostile = {Path(ann[0]).with_suffix(".xmp"): UTF16_NO_BOM, Path(ann[1]).with_suffix(".xmp"): DEEP}
    for side, data in hostile.items():
        side.write_bytes(data)
    res = export.export_xmp(db)
    for side, data in hostile.items():
        assert side.read_bytes() == data
        assert any(str(side) in e for e in res.errors)
    assert res.written == len(ann) - 2
    assert XMP_MARK in Path(ann[2]).with_suffix(".xmp").read_text()


@pytest.mark.parametrize("ours", [False, True], ids=["foreign-target", "faceapp-target"])
def test_a_sidecar_that_is_a_link_out_of_the_tree_is_never_written_through(db, photos, tmp_path, ours):
    photo = next(r["photo"] for r in export.face_table(db) if r["person"] == "Ann")
    outside = tmp_path / "outside" / "someone.xmp"
    outside.parent.mkdir()
    outside.write_text(packet("Zed") if not ours else f"<x:xmpmeta>{XMP_MARK}</x:xmpmeta>")
    before = outside.read_bytes()
    side = Path(photo).with_suffix(".xmp")
    side.symlink_to(outside)
    for overwrite in (False, True):
        res = export.export_xmp(db, overwrite=overwrite)
        assert outside.read_bytes() == before and side.is_symlink()
        assert any(str(side) in e and "link" in e for e in res.errors)
    assert not list(outside.parent.glob("*.faceapp-bak"))
    with pytest.raises(XmpError, match="link"):
        read_sidecar(side)


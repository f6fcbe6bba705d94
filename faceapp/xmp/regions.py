"""Which MWG regions a merged sidecar keeps: another tool's regions read back, matched against ours.

Rules (the user's photo tool is trusted wherever faceapp knows less):
- regions of other types (Pet, Focus, BarCode, none given) are always kept;
- a foreign Face region that overlaps none of our faces is kept;
- one that overlaps ours (IoU of the normalised boxes >= 0.5, or its centre inside our box) is
  replaced by ours when our person has a name, else kept and our unnamed face is left out.
Boxes are MWG areas: (centre x, centre y, w, h), normalised to the image.

A region faceapp merged in on an earlier run is not foreign: it carries MARK (faceapp:face="<face
id>") on its rdf:Description, which exiftool keeps through in-place edits. A tag-by-tag copy
(exiftool -tagsfromfile) drops unknown fields, so a Face region without the mark whose box is
exactly one faceapp writes for a face of this photo (6 decimals) counts as ours too. Ours are
removed on every run and written again from the library's current state (earlier_ours).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.dom.minidom import Element

from faceapp.xmp.document import Box
from faceapp.xmp.rdf import XmpError, fields, items, text

MWG_RS = "http://www.metadataworkinggroup.com/schemas/regions/"
ST_AREA = "http://ns.adobe.com/xmp/sType/Area#"
ST_DIM = "http://ns.adobe.com/xap/1.0/sType/Dimensions#"
MARK_NS = "https://faceapp.invalid/ns/xmp/1.0/"  # faceapp:face on a region: the library face it stands for
MARK = "face"
_EXACT = 2e-6  # faceapp writes areas with 6 decimals


@dataclass
class Region:
    """One region: a foreign rdf:li kept as it is (node), or one of our faces (face)."""

    kind: str  # MWG Type as written ("Face", "Pet", ...; "" when absent)
    name: str
    box: Box | None
    node: Element | None = None
    face: dict | None = None
    mark: str = ""  # faceapp:face as read back ("" on another tool's region)
    earlier: bool = False  # faceapp merged it on an earlier run (earlier_ours)
    was: int | None = None  # then: the library face it still stands for, if any

    @property
    def is_face(self) -> bool:
        return self.kind.casefold() == "face"


def _floats(f: dict, uri: str, keys: str) -> list[float] | None:
    try:
        return [float(text(f.get((uri, k)))) for k in keys.split()]
    except ValueError:
        return None


def foreign_regions(regions: Element, width: int, height: int) -> list[Region]:
    """The regions another tool wrote. Raises XmpError where keeping them beside ours would misplace
    them: areas for a rotated image, or pixel areas for another image size."""
    f = fields(regions)
    dims = f.get((MWG_RS, "AppliedToDimensions"))
    wh = _floats(fields(dims), ST_DIM, "w h") if isinstance(dims, Element) else None
    same_size = wh is None or (round(wh[0]), round(wh[1])) == (int(width), int(height))
    if wh and not same_size and min(wh) > 0 and (wh[0] > wh[1]) != (width > height) and width != height and wh[0] != wh[1]:
        raise XmpError(f"has regions for a {wh[0]:g}x{wh[1]:g} (rotated?) image, the photo is {width}x{height}")
    out = []
    for li in items(f.get((MWG_RS, "RegionList"))):
        rf = fields(li)
        area = rf.get((MWG_RS, "Area"))
        box = None
        if isinstance(area, Element):
            af = fields(area)
            xywh = _floats(af, ST_AREA, "x y w h")
            unit = text(af.get((ST_AREA, "unit"))) or "normalized"
            if unit == "pixel" and not same_size:
                raise XmpError("has pixel-unit regions for another image size")
            if xywh and unit == "pixel" and wh and min(wh) > 0:
                box = (xywh[0] / wh[0], xywh[1] / wh[1], xywh[2] / wh[0], xywh[3] / wh[1])
            elif xywh and unit == "normalized":
                box = (xywh[0], xywh[1], xywh[2], xywh[3])
        out.append(Region(text(rf.get((MWG_RS, "Type"))), text(rf.get((MWG_RS, "Name"))), box, node=li,
                          mark=text(rf.get((MARK_NS, MARK)))))
    return out


def _same(a: Box, b: Box) -> bool:
    return all(abs(u - v) <= _EXACT for u, v in zip(a, b, strict=True))


def earlier_ours(regions: list[Region], boxes: dict[int, Box]) -> list[Region]:
    """Flags (earlier, was) faceapp's regions of an earlier run among those read back.
    boxes: face id -> the area faceapp writes, for every face of the photo in the library (any state).
    A marked region's id counts only where its box is still that face's (another library's ids differ)."""
    for r in regions:
        exact = [fid for fid, b in boxes.items() if r.box and _same(r.box, b)]
        if r.mark:
            r.earlier, r.was = True, (int(r.mark) if r.mark.isdigit() and int(r.mark) in exact else None)
        elif r.is_face and exact:
            r.earlier, r.was = True, exact[0]
    return regions


def _corners(b: Box) -> Box:
    return b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, b[1] + b[3] / 2


def iou(a: Box, b: Box) -> float:
    ax0, ay0, ax1, ay1 = _corners(a)
    bx0, by0, bx1, by1 = _corners(b)
    inter = max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def overlaps(theirs: Box, ours: Box) -> bool:
    x0, y0, x1, y1 = _corners(ours)
    return iou(theirs, ours) >= 0.5 or (x0 <= theirs[0] <= x1 and y0 <= theirs[1] <= y1)


def plan(foreign: list[Region], ours: list[Region]) -> tuple[list[Region], set[str]]:
    """The merged region list (foreign ones in their places, ours where they were on the last run,
    our new ones after them) and the names of the foreign regions that ours replaced."""
    merged: list[Region] = []
    used: set[int] = set()
    replaced: set[str] = set()
    for r in foreign:
        if r.earlier:  # faceapp's own from the last run: its face, written anew in its place, or nothing
            same = [j for j, o in enumerate(ours) if j not in used and r.was is not None and o.face
                    and o.face.get("face_id") == r.was]
            merged += [ours[j] for j in same[:1]]
            used.update(same[:1])
            continue
        hits = [j for j, o in enumerate(ours) if r.is_face and r.box and o.box and overlaps(r.box, o.box)]
        if not hits:
            merged.append(r)
            continue
        j = max(hits, key=lambda j: iou(r.box, ours[j].box))
        if ours[j].face and ours[j].face.get("named"):
            replaced.add(r.name)
            if j not in used:  # a second foreign region on the same face goes too
                merged.append(ours[j])
        else:
            merged.append(r)  # the user's tool knew this face; our unnamed guess is left out
        used.add(j)
    merged += [o for j, o in enumerate(ours) if j not in used]
    return merged, replaced

"""Merge faceapp's face regions into an XMP sidecar another photo tool wrote, keeping all the rest.

    merge_regions(data, width, height, faces) -> bytes

Only two properties change: mwg-rs:Regions (AppliedToDimensions becomes the photo's size; the
RegionList holds the other tool's regions by the rules in xmp_regions, then ours) and
Iptc4xmpExt:PersonInImage (its names, less those of replaced regions, plus every Face name of the
merged list). Each is rewritten where it was; every other property, namespace, comment and the
xpacket wrapper stay. The result carries no XMP_MARK: it stays the user's sidecar, so the next
export merges again (to the same bytes) instead of replacing it.

Our regions carry faceapp:face (xmp_regions.MARK). On the next run they are taken out first, with
their names in PersonInImage, and written again from the library: the faces of this run, plus any
earlier one still exportable but outside this run's people. A face since marked "not a face",
rejected, hidden, unnamed or removed so leaves the sidecar. With nothing of ours to write or take
out, the sidecar's bytes are returned as they were.
"""

from __future__ import annotations

from xml.dom.minidom import Document, Element
from xml.sax.saxutils import escape, quoteattr

from faceapp.xmp.document import mwg_area, stored_size
from faceapp.xmp.rdf import (
    RDF,
    elements,
    fields,
    fragment,
    is_a,
    items,
    keep_namespaces,
    parse,
    prefix_for,
    scope,
    serialize,
    text,
)
from faceapp.xmp.regions import (
    MARK,
    MARK_NS,
    MWG_RS,
    ST_AREA,
    ST_DIM,
    Box,
    Region,
    earlier_ours,
    foreign_regions,
    plan,
)

IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"


def _find(descs: list[Element], uri: str, local: str) -> tuple[Element, Element] | None:
    for d in descs:
        for c in elements(d):
            if is_a(c, uri, local):
                return d, c
    return None


def _indent(el: Element) -> str:
    prev = el.previousSibling
    if prev is not None and prev.nodeType == prev.TEXT_NODE and "\n" in prev.data:
        return prev.data.rsplit("\n", 1)[1]
    return " "


def _put(doc: Document, desc: Element, new: Element, old: Element | None, indent: str) -> None:
    """new in old's place, or appended to desc on a line of its own."""
    if old is not None:
        desc.replaceChild(new, old)
        return
    tail = desc.lastChild
    if tail is not None and tail.nodeType == tail.TEXT_NODE and not tail.data.strip():
        desc.insertBefore(doc.createTextNode("\n" + indent), tail)
        desc.insertBefore(new, tail)
    else:
        desc.appendChild(doc.createTextNode("\n" + indent))
        desc.appendChild(new)
        desc.appendChild(doc.createTextNode("\n" + _indent(desc)))


def _drop(el: Element) -> None:
    """el and the line break before it."""
    prev = el.previousSibling
    if prev is not None and prev.nodeType == prev.TEXT_NODE and not prev.data.strip():
        el.parentNode.removeChild(prev)
    el.parentNode.removeChild(el)


def _child_indent(desc: Element) -> str:
    kids = elements(desc)
    return _indent(kids[0]) if kids else _indent(desc) + " "


def _our_li(r: Region, p: dict[str, str], ind: str) -> str:
    cx, cy, w, h = r.box
    m, a, rdf = p["mwg-rs"], p["stArea"], p["rdf"]
    fid = (r.face or {}).get("face_id")
    mark = f' {p["faceapp"]}:{MARK}="{int(fid)}"' if fid is not None else ""
    return (
        f"<{rdf}:li>\n{ind} <{rdf}:Description {m}:Name={quoteattr(r.name)} {m}:Type=\"Face\"{mark}>\n"
        f'{ind}  <{m}:Area {a}:x="{cx:.6f}" {a}:y="{cy:.6f}" {a}:w="{w:.6f}" {a}:h="{h:.6f}" {a}:unit="normalized"/>\n'
        f"{ind} </{rdf}:Description>\n{ind}</{rdf}:li>"
    )


def _regions(doc: Document, desc: Element, old: Element | None, merged: list[Region], width: int, height: int) -> None:
    p = {"rdf": prefix_for(desc, RDF, "rdf"), "mwg-rs": prefix_for(desc, MWG_RS, "mwg-rs"),
         "stDim": prefix_for(desc, ST_DIM, "stDim"), "stArea": prefix_for(desc, ST_AREA, "stArea")}
    ns = {v: u for v, u in zip(p.values(), (RDF, MWG_RS, ST_DIM, ST_AREA), strict=True)}
    if any(r.face and r.face.get("face_id") is not None for r in merged):
        p["faceapp"] = prefix_for(desc, MARK_NS, "faceapp")
        ns[p["faceapp"]] = MARK_NS
    ind = _indent(old) if old is not None else _child_indent(desc)
    m, d, rdf = p["mwg-rs"], p["stDim"], p["rdf"]
    new = fragment(doc, (
        f'<{m}:Regions {rdf}:parseType="Resource">\n'
        f'{ind} <{m}:AppliedToDimensions {d}:w="{int(width)}" {d}:h="{int(height)}" {d}:unit="pixel"/>\n'
        f"{ind} <{m}:RegionList>\n{ind}  <{rdf}:Bag/>\n{ind} </{m}:RegionList>\n{ind}</{m}:Regions>"), ns)
    bag = elements(elements(new)[1])[0]
    moved = []
    for r in merged:
        bag.appendChild(doc.createTextNode(f"\n{ind}   "))
        if r.node is not None:
            moved.append((r.node, scope(r.node)))
            bag.appendChild(r.node)  # the other tool's region, exactly as it was
        else:
            bag.appendChild(fragment(doc, _our_li(r, p, ind + "   "), ns))
    bag.appendChild(doc.createTextNode(f"\n{ind}  "))
    for (uri, local), v in (fields(old).items() if old is not None else ()):
        if uri == MWG_RS and local in ("AppliedToDimensions", "RegionList"):
            continue  # any other field of the struct (none in MWG 2.0) goes along
        if isinstance(v, str):
            v = fragment(doc, f"<{prefix_for(desc, uri, 'ns')}:{local}>{escape(v)}</{prefix_for(desc, uri, 'ns')}:{local}>",
                         {prefix_for(desc, uri, "ns"): uri})
        else:
            moved.append((v, scope(v)))
        new.insertBefore(doc.createTextNode(f"\n{ind} "), new.lastChild)
        new.insertBefore(v, new.lastChild)
    _put(doc, desc, new, old, ind)
    for node, before in moved:
        keep_namespaces(node, before)


def _people(doc: Document, descs: list[Element], home: Element, merged: list[Region], replaced: set[str]) -> None:
    found = _find(descs, IPTC_EXT, "PersonInImage")
    desc, old = found if found else (home, None)
    kept = {r.name for r in merged if r.name}
    names = [n for n in (text(li) for li in items(old)) if n and (n not in replaced or n in kept)]
    names += [r.name for r in merged if r.is_face and r.name]
    names = list(dict.fromkeys(names))
    if not names:
        if old is not None:
            _drop(old)
        return
    pi, rdf = prefix_for(desc, IPTC_EXT, "Iptc4xmpExt"), prefix_for(desc, RDF, "rdf")
    ind = _indent(old) if old is not None else _child_indent(desc)
    lis = "".join(f"{ind}  <{rdf}:li>{escape(n)}</{rdf}:li>\n" for n in names)
    new = fragment(doc, f"<{pi}:PersonInImage>\n{ind} <{rdf}:Bag>\n{lis}{ind} </{rdf}:Bag>\n{ind}</{pi}:PersonInImage>",
                   {pi: IPTC_EXT, rdf: RDF})
    _put(doc, desc, new, old, ind)


def merge_regions(data: bytes, width: int, height: int, faces: list[dict], library: dict[int, dict] | None = None,
                  boxes: dict[int, Box] | None = None, orientation: int = 1) -> bytes:
    """faces: this run's, dicts with x, y, w, h (pixels on the upright photo of width × height),
    person (name), named (a real name) and face_id. library: face id -> such a dict, for every face
    of the photo that may be exported now; boxes: face id -> its MWG area (stored frame, as written),
    for every face of the photo (any state); orientation: the photo's EXIF orientation (MWG areas
    refer to the image as stored). Raises XmpError (the sidecar must then be left untouched)."""
    sw, sh = stored_size(width, height, orientation)
    doc, rdf = parse(data)
    descs = [d for d in elements(rdf) if is_a(d, RDF, "Description")]
    if not descs:
        r = prefix_for(rdf, RDF, "rdf")
        desc = fragment(doc, f'<{r}:Description {r}:about=""/>', {r: RDF})
        rdf.appendChild(desc)
        descs = [desc]
    found = _find(descs, MWG_RS, "Regions")
    desc, old = found if found else (descs[0], None)
    found = earlier_ours(foreign_regions(old, sw, sh) if old is not None else [], boxes or {})
    earlier = [r for r in found if r.earlier]
    todo: dict[object, dict] = {f.get("face_id", ("no id", k)): f for k, f in enumerate(faces)}
    for r in earlier:
        if r.was is not None and r.was in (library or {}):
            todo.setdefault(r.was, library[r.was])
    if not todo and not earlier:
        return data
    ours = [Region("Face", f["person"], mwg_area(f["x"], f["y"], f["w"], f["h"], width, height, orientation), face=f)
            for f in sorted(todo.values(), key=lambda f: f.get("face_id", 0))]  # one order, whatever the selection
    merged, replaced = plan(found, ours)
    if merged:
        _regions(doc, desc, old, merged, sw, sh)
    elif old is not None:
        _drop(old)
    _people(doc, descs, desc, merged, replaced | {r.name for r in earlier})
    return serialize(doc, data)

"""XMP sidecar text with MWG face regions (the Metadata Working Group's region schema).

MWG areas are normalised to the image and give the region's *centre* (x, y) and size (w, h);
AppliedToDimensions records the pixel size the regions refer to.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

XMP_MARK = "written by faceapp"


def _clip(v: float) -> float:
    return min(1.0, max(0.0, v))


def mwg_area(x: float, y: float, w: float, h: float, width: int, height: int) -> tuple[float, float, float, float]:
    """(cx, cy, w, h) normalised, from a pixel box (left, top, width, height), clipped to the image."""
    x0, y0 = _clip(x / width), _clip(y / height)
    x1, y1 = _clip((x + w) / width), _clip((y + h) / height)
    return (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0


def xmp_document(width: int, height: int, faces: list[dict]) -> str:
    """faces: dicts with x, y, w, h (pixels) and person (name)."""
    regions = []
    for f in faces:
        cx, cy, w, h = mwg_area(f["x"], f["y"], f["w"], f["h"], width, height)
        regions.append(
            "      <rdf:li>\n"
            f"       <rdf:Description mwg-rs:Name={quoteattr(f['person'])} mwg-rs:Type=\"Face\">\n"
            f"        <mwg-rs:Area stArea:x=\"{cx:.6f}\" stArea:y=\"{cy:.6f}\" stArea:w=\"{w:.6f}\" "
            f"stArea:h=\"{h:.6f}\" stArea:unit=\"normalized\"/>\n"
            "       </rdf:Description>\n"
            "      </rdf:li>\n"
        )
    names = sorted({f["person"] for f in faces})
    people = "".join(f"      <rdf:li>{escape(n)}</rdf:li>\n" for n in names)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        f"<!-- {XMP_MARK} -->\n"
        '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="faceapp">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"\n'
        '    xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#"\n'
        '    xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#"\n'
        '    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">\n'
        '   <mwg-rs:Regions rdf:parseType="Resource">\n'
        f'    <mwg-rs:AppliedToDimensions stDim:w="{int(width)}" stDim:h="{int(height)}" stDim:unit="pixel"/>\n'
        "    <mwg-rs:RegionList>\n"
        "     <rdf:Bag>\n"
        + "".join(regions)
        + "     </rdf:Bag>\n"
        "    </mwg-rs:RegionList>\n"
        "   </mwg-rs:Regions>\n"
        "   <Iptc4xmpExt:PersonInImage>\n"
        "    <rdf:Bag>\n"
        + people
        + "    </rdf:Bag>\n"
        "   </Iptc4xmpExt:PersonInImage>\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>\n'
    )

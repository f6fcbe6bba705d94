"""XMP sidecar text with MWG face regions (the Metadata Working Group's region schema).

MWG areas are normalised to the image and give the region's *centre* (x, y) and size (w, h);
AppliedToDimensions records the pixel size the regions refer to. Both refer to the image *as stored*,
before its EXIF orientation is applied (digiKam, Lightroom and exiftool read them so), while faceapp
keeps face boxes on the upright image: `mwg_area` and `stored_size` turn one frame into the other.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

XMP_MARK = "written by faceapp"


def _clip(v: float) -> float:
    return min(1.0, max(0.0, v))


Box = tuple[float, float, float, float]
TURNED = (5, 6, 7, 8)  # EXIF orientations that swap width and height


def to_upright(box: Box, orientation: int) -> Box:
    """A normalised centre box on the stored image, on the image turned upright by EXIF orientation."""
    u, v, w, h = box
    x, y = {2: (1 - u, v), 3: (1 - u, 1 - v), 4: (u, 1 - v), 5: (v, u), 6: (1 - v, u), 7: (1 - v, 1 - u),
            8: (v, 1 - u)}.get(orientation, (u, v))
    return (x, y, h, w) if orientation in TURNED else (x, y, w, h)


def to_stored(box: Box, orientation: int) -> Box:
    """The inverse of to_upright: a normalised centre box on the upright image, on the stored one."""
    x, y, w, h = box
    u, v = {2: (1 - x, y), 3: (1 - x, 1 - y), 4: (x, 1 - y), 5: (y, x), 6: (y, 1 - x), 7: (1 - y, 1 - x),
            8: (1 - y, x)}.get(orientation, (x, y))
    return (u, v, h, w) if orientation in TURNED else (u, v, w, h)


def stored_size(width: int, height: int, orientation: int = 1) -> tuple[int, int]:
    """The stored pixel size of a photo whose upright size is width × height."""
    return (height, width) if orientation in TURNED else (width, height)


def mwg_area(x: float, y: float, w: float, h: float, width: int, height: int, orientation: int = 1) -> Box:
    """(cx, cy, w, h) normalised on the stored image, from a pixel box (left, top, width, height) on
    the upright image of width × height, clipped to the image."""
    x0, y0 = _clip(x / width), _clip(y / height)
    x1, y1 = _clip((x + w) / width), _clip((y + h) / height)
    return to_stored(((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0), orientation)


def photo_orientation(path: str, upright: tuple[int, int]) -> int | str:
    """A photo's EXIF orientation, read from its file (MWG areas refer to the image as stored), or why
    its regions can't be placed: unreadable, or not the size it had when scanned."""
    from faceapp.core.images import ImageError, orientation_of

    try:
        o, size = orientation_of(path)
    except (OSError, ImageError) as exc:
        return f"cannot read the photo's orientation ({getattr(exc, 'strerror', None) or exc})"
    if tuple(size) != tuple(upright):
        return f"the photo is {size[0]}x{size[1]} now, {upright[0]}x{upright[1]} when scanned: scan it again"
    return o


def faceapp_areas(pixels: dict[int, tuple], width: int, height: int, orientation: int) -> dict[int, Box]:
    """Face id -> the MWG area faceapp writes for it (6 decimals, as in the file), from upright pixel boxes."""
    return {fid: tuple(round(v, 6) for v in mwg_area(*b, width, height, orientation)) for fid, b in pixels.items()}


def xmp_document(width: int, height: int, faces: list[dict], orientation: int = 1) -> str:
    """faces: dicts with x, y, w, h (pixels on the upright image of width × height) and person (name)."""
    regions = []
    sw, sh = stored_size(width, height, orientation)
    for f in faces:
        cx, cy, w, h = mwg_area(f["x"], f["y"], f["w"], f["h"], width, height, orientation)
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
        f'    <mwg-rs:AppliedToDimensions stDim:w="{int(sw)}" stDim:h="{int(sh)}" stDim:unit="pixel"/>\n'
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

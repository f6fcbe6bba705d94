"""Named face regions read out of XMP, in faceapp's frame: normalised to the upright photo.

    embedded_packet(path) -> bytes | None        JPEG APP1 "http://ns.adobe.com/xap/1.0/", PNG iTXt "XML:com.adobe.xmp"
    read_regions(data, upright, orientation, own) -> Found

Two schemas: MWG (mwg-rs: centre x/y, w/h, normalised or in AppliedToDimensions pixels; digiKam,
Lightroom, Picasa, exiftool) and Microsoft's (MP:RegionInfo, MPReg:Rectangle "x, y, w, h" from the
top-left; Windows Photo Gallery). MWG areas refer to the image as stored, before EXIF orientation
(digiKam and Lightroom follow that), so they are turned into the upright frame faceapp's face boxes
live in. An AppliedToDimensions that fits only the upright shape (a portrait photo stored as
landscape) says the tool wrote for the image as shown: taken as it is. Microsoft's regions on a
photo with an orientation tag are left out with a reason (no dimensions to tell which frame).
Regions faceapp wrote (faceapp:face, or exactly the area faceapp writes for one of the photo's
faces) are left out: an export read back must not become new decisions.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from faceapp.xmp.document import to_upright
from faceapp.xmp.rdf import MAX_SIDECAR, RDF, XmpError, elements, fields, is_a, items, parse, text
from faceapp.xmp.regions import MWG_RS, ST_DIM, Box, earlier_ours, foreign_regions

MP = "http://ns.microsoft.com/photo/1.2/"
MPRI = "http://ns.microsoft.com/photo/1.2/t/RegionInfo#"
MPREG = "http://ns.microsoft.com/photo/1.2/t/Region#"
_XAP = b"http://ns.adobe.com/xap/1.0/\x00"
_PNG = b"\x89PNG\r\n\x1a\n"
_PNG_KEY = b"XML:com.adobe.xmp"


@dataclass
class NamedRegion:
    name: str
    box: Box  # centre x, y, w, h, normalised to the upright photo
    scheme: str  # "mwg" | "mp"


@dataclass
class Found:
    regions: list[NamedRegion] = field(default_factory=list)
    own: int = 0  # faceapp's own regions, left out
    unnamed: int = 0  # Face regions with no name
    skipped: list[str] = field(default_factory=list)  # why regions were left out


def embedded_packet(path: str | Path) -> bytes | None:
    """The XMP packet inside a JPEG or PNG (None: no packet, or another format). Reads segment
    headers only, up to the image data. Raises OSError; a damaged container is XmpError."""
    with open(path, "rb") as fh:
        head = fh.read(8)
        if head[:2] == b"\xff\xd8":
            fh.seek(2)
            return _jpeg(fh)
        if head == _PNG:
            return _png(fh)
    return None


def _jpeg(fh) -> bytes | None:  # noqa: ANN001
    while True:
        b = fh.read(1)
        if not b:
            return None
        if b != b"\xff":
            raise XmpError("is a damaged JPEG (no segment marker)")
        marker = fh.read(1)
        while marker == b"\xff":  # fill bytes
            marker = fh.read(1)
        if not marker or marker in (b"\xda", b"\xd9"):  # image data or the end: no XMP before it
            return None
        if marker == b"\x01" or b"\xd0" <= marker <= b"\xd8":
            continue  # markers without a length
        size = fh.read(2)
        if len(size) < 2 or struct.unpack(">H", size)[0] < 2:
            raise XmpError("is a damaged JPEG (segment length)")
        n = struct.unpack(">H", size)[0] - 2
        if marker == b"\xe1":
            body = fh.read(n)
            if body.startswith(_XAP):
                return body[len(_XAP):]
        else:
            fh.seek(n, 1)


def _png(fh) -> bytes | None:  # noqa: ANN001
    while True:
        head = fh.read(8)
        if len(head) < 8:
            return None
        n, kind = struct.unpack(">I4s", head)
        if kind == b"IEND":
            return None
        if kind != b"iTXt":
            fh.seek(n + 4, 1)
            continue
        if n > MAX_SIDECAR:
            raise XmpError(f"has a {n // (1024 * 1024)} MB text chunk, too big for XMP")
        body = fh.read(n)
        fh.seek(4, 1)
        key, _, rest = body.partition(b"\x00")
        if key != _PNG_KEY or len(rest) < 2:
            continue
        compressed, rest = rest[0], rest[2:]
        rest = rest.split(b"\x00", 2)[-1]  # past the language tag and translated keyword
        if not compressed:
            return rest
        try:  # bounded: a small chunk must not unpack into gigabytes
            z = zlib.decompressobj()
            out = z.decompress(rest, MAX_SIDECAR + 1)
        except zlib.error:
            raise XmpError("has a damaged compressed XMP chunk") from None
        if len(out) > MAX_SIDECAR or z.unconsumed_tail:
            raise XmpError("has a compressed XMP chunk that unpacks to more than 16 MB")
        return out


def _frame(dims: tuple[float, float] | None, orientation: int, upright: tuple[int, int]) -> int | str:
    """The orientation to undo for MWG areas (1: already upright), or why they can't be placed."""
    uw, uh = upright
    sw, sh = (uh, uw) if orientation in (5, 6, 7, 8) else (uw, uh)
    if dims is None or dims[0] == dims[1] or uw == uh:
        return orientation  # nothing tells the frames apart: MWG's rule, the image as stored
    if (dims[0] > dims[1]) == (sw > sh):
        return orientation
    if (dims[0] > dims[1]) == (uw > uh):
        return 1  # written for the image as shown
    return f"regions for a {dims[0]:g}x{dims[1]:g} image, the photo is {uw}x{uh}"


def _usable(box: Box | None) -> bool:
    return box is not None and box[2] > 0 and box[3] > 0 and all(-0.01 <= c <= 1.01 for c in box[:2])


def _mwg(el, upright: tuple[int, int], orientation: int, own: dict[int, Box], out: Found) -> None:  # noqa: ANN001
    dims_el = fields(el).get((MWG_RS, "AppliedToDimensions"))
    df = fields(dims_el) if dims_el is not None and not isinstance(dims_el, str) else {}
    try:
        dims = (float(text(df.get((ST_DIM, "w")))), float(text(df.get((ST_DIM, "h")))))
        dims = dims if min(dims) > 0 else None
    except ValueError:
        dims = None
    # with the regions' own dimensions, foreign_regions only reads (pixel areas scaled by them)
    regions = foreign_regions(el, *(round(d) for d in (dims or upright)))
    frame = _frame(dims, orientation, upright)
    for r in earlier_ours(regions, own):
        if r.earlier:
            out.own += 1
        elif not r.is_face:
            continue
        elif not r.name:
            out.unnamed += 1
        elif isinstance(frame, str):
            out.skipped.append(f"{r.name}: {frame}")
        elif not _usable(r.box):
            out.skipped.append(f"{r.name}: no usable area")
        else:
            out.regions.append(NamedRegion(r.name, to_upright(r.box, frame), "mwg"))


def _mp(el, orientation: int, out: Found) -> None:  # noqa: ANN001
    for li in items(fields(el).get((MPRI, "Regions"))):
        f = fields(li)
        name, rect = text(f.get((MPREG, "PersonDisplayName"))), text(f.get((MPREG, "Rectangle")))
        if not rect:
            continue  # a person tag for the whole photo, not a region
        if not name:
            out.unnamed += 1
            continue
        try:
            x, y, w, h = (float(v) for v in rect.split(","))
        except ValueError:
            out.skipped.append(f"{name}: unreadable rectangle {rect!r}")
            continue
        box = (x + w / 2, y + h / 2, w, h)
        if orientation not in (0, 1):
            out.skipped.append(f"{name}: Microsoft region on a rotated photo (orientation {orientation})")
        elif not _usable(box):
            out.skipped.append(f"{name}: no usable area")
        else:
            out.regions.append(NamedRegion(name, box, "mp"))


def read_regions(data: bytes, upright: tuple[int, int], orientation: int = 1, own: dict[int, Box] | None = None) -> Found:
    """Named Face regions of one packet. upright: the photo's upright pixel size; orientation: its
    EXIF orientation; own: face id -> the MWG area faceapp writes for it. Raises XmpError."""
    _, rdf = parse(data)
    out = Found()
    for desc in (d for d in elements(rdf) if is_a(d, RDF, "Description")):
        for el in elements(desc):
            if is_a(el, MWG_RS, "Regions"):
                _mwg(el, upright, orientation, own or {}, out)
            elif is_a(el, MP, "RegionInfo"):
                _mp(el, orientation, out)
    return out

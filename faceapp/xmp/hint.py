"""Does a photo carry face names another tool wrote? A cheap look while the scan has its bytes, so
the user hears that `faceapp import xmp` (File → Import face names…) can use them.

No XML is parsed here: the photo's own bytes are searched for a region block in its first 256 KB
(JPEG and PNG keep XMP near the start), and its sidecar (photo.jpg.xmp, else photo.xmp) is read
only when it exists. Sidecars faceapp wrote whole are not counted. A yes means "worth an import",
not a promise: the import itself decides what each region is worth.
"""

from __future__ import annotations

from pathlib import Path

from faceapp.xmp.document import XMP_MARK
from faceapp.xmp.rdf import XmpError, read_sidecar

HEAD = 256 * 1024
_REGIONS = (b"mwg-rs:Regions", b"<mwg-rs:RegionList", b"RegionInfo", b"MP:RegionInfo", b"MPRI:Regions")
_NAMED = (b"Name", b"PersonDisplayName")


def _has_regions(blob: bytes) -> bool:
    return any(r in blob for r in _REGIONS) and any(n in blob for n in _NAMED)


def carries_face_names(path: str, data: bytes) -> bool:
    """True when the photo's embedded XMP or its sidecar looks like it holds named face regions."""
    if _has_regions(data[:HEAD]):
        return True
    p = Path(path)
    for side in (p.with_name(p.name + ".xmp"), p.with_suffix(".xmp")):
        try:
            blob = read_sidecar(side)
        except (OSError, XmpError):
            continue
        if blob is None:
            continue
        return XMP_MARK.encode() not in blob and _has_regions(blob)
    return False

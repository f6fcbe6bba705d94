"""The scan notices photos whose XMP names faces, so the user hears of `faceapp import xmp`."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from faceapp import paths
from faceapp.jobs.scan import Scanner
from faceapp.xmp.document import XMP_MARK
from faceapp.xmp.hint import carries_face_names

REGION = ("-XMP-mwg-rs:RegionInfo={AppliedToDimensions={W=250,H=250,Unit=pixel},RegionList=[{Area={X=0.5,Y=0.4,"
          "W=0.3,H=0.4,Unit=normalized},Name=Ann,Type=Face}]}")


def test_sidecar_counts_unless_faceapp_wrote_it(tmp_path):
    photo = tmp_path / "a.jpg"
    photo.write_bytes(b"\xff\xd8 no xmp here")
    assert not carries_face_names(str(photo), photo.read_bytes())
    side = tmp_path / "a.jpg.xmp"
    side.write_text('<x:xmpmeta><mwg-rs:Regions><rdf:li mwg-rs:Name="Ann"/></mwg-rs:Regions></x:xmpmeta>')
    assert carries_face_names(str(photo), photo.read_bytes())
    side.write_text(f'<!-- {XMP_MARK} --><x:xmpmeta><mwg-rs:Regions><rdf:li mwg-rs:Name="Ann"/></mwg-rs:Regions></x:xmpmeta>')
    assert not carries_face_names(str(photo), photo.read_bytes())


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed (Debian: libimage-exiftool-perl)")
def test_scan_counts_photos_with_embedded_or_sidecar_names(db, tmp_path):
    album = tmp_path / "album"
    shutil.copytree(paths.SAMPLE_ALBUM, album)
    photos = sorted(album.glob("*.jpg"))
    subprocess.run(["exiftool", "-q", "-overwrite_original", REGION, str(photos[0])], check=True)  # inside the JPEG
    subprocess.run(["exiftool", "-q", "-o", str(photos[1]) + ".xmp", REGION], check=True)  # digiKam-style sidecar
    stats = Scanner(db).scan([album])
    assert stats.xmp_names == 2 and stats.as_dict()["xmp_names"] == 2

"""Things named like a sidecar that are not one (a pipe, a device, a folder, a huge file) are reported
and left alone; nothing blocks on them."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from faceapp.xmp.hint import carries_face_names
from faceapp.xmp.rdf import MAX_SIDECAR, XmpError, read_sidecar
from faceapp.xmp.sidecar import is_foreign, write_sidecar

FACE = {"x": 10, "y": 10, "w": 50, "h": 50, "person": "Ann", "named": True, "face_id": 1}


@pytest.fixture(autouse=True)
def _no_hang():
    """A read that blocks (a pipe) must fail this test, not hang the suite."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def boom(*_):
        raise TimeoutError("blocked on a file that is not a sidecar")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_pipe_named_like_a_sidecar_is_refused(tmp_path):
    photo = tmp_path / "a.jpg"
    photo.write_bytes(b"\xff\xd8")
    pipe = tmp_path / "a.jpg.xmp"
    os.mkfifo(pipe)
    with pytest.raises(XmpError, match="not a regular file"):
        read_sidecar(pipe)
    assert not carries_face_names(str(photo), photo.read_bytes())
    assert not is_foreign(pipe)
    with pytest.raises(XmpError):
        write_sidecar(pipe, 100, 100, [FACE])
    assert Path(pipe).is_fifo()


def test_a_folder_or_a_huge_file_is_refused_and_a_missing_one_is_none(tmp_path):
    (tmp_path / "b.jpg.xmp").mkdir()
    with pytest.raises(XmpError, match="not a regular file"):
        write_sidecar(tmp_path / "b.jpg.xmp", 100, 100, [FACE])
    huge = tmp_path / "c.jpg.xmp"
    with huge.open("wb") as fh:
        fh.truncate(MAX_SIDECAR + 1)  # sparse: no disk used
    with pytest.raises(XmpError, match="too big"):
        read_sidecar(huge)
    assert huge.stat().st_size == MAX_SIDECAR + 1
    assert read_sidecar(tmp_path / "none.xmp") is None

"""Inputs a scan must refuse or record, never take silently: absurd settings, paths too long for the
system, files too big to hold."""

import os
import shutil

import pytest

from faceapp import paths
from faceapp.cli import main
from faceapp.core.detect import DET_SIZE_RANGE, DetectorSettings
from faceapp.jobs.scan import Scanner, ScanSettings
from faceapp.storage.db import open_library


@pytest.mark.parametrize("bad", [{"long_side": 0}, {"long_side": -640}, {"long_side": 10**6}, {"score_threshold": 0.0},
                                 {"score_threshold": 1.0}, {"score_threshold": float("nan")}, {"nms_threshold": 2},
                                 {"min_face": -1}])
def test_detector_settings_refuse_values_that_find_no_face(bad):
    with pytest.raises(ValueError):
        DetectorSettings(**bad)


@pytest.mark.parametrize("bad", [{"workers": 0}, {"workers": -2}, {"embed_batch": 0}, {"commit_every": 0},
                                 {"embed_threads": 0}, {"session_batch": 0}])
def test_scan_settings_refuse_counts_below_one(bad):
    with pytest.raises(ValueError):
        ScanSettings(**bad)


def test_a_scanner_checks_settings_changed_after_they_were_made(db):
    settings = ScanSettings()
    settings.detector.long_side = 0
    with pytest.raises(ValueError, match="detector size"):
        Scanner(db, settings)


@pytest.mark.parametrize("argv,words", [(["--det-size", "0"], "--det-size"), (["--det-size", "-5"], "--det-size"),
                                        (["--det-size", "abc"], "not a whole number"),
                                        (["--det-threshold", "1.5"], "--det-threshold"), (["--det-threshold", "0"], "between 0 and 1"),
                                        (["--min-face", "-1"], "--min-face"), (["--workers", "0"], "--workers")])
def test_scan_command_refuses_absurd_values_before_touching_the_library(tmp_path, capsys, argv, words):
    db = tmp_path / "lib.db"
    photo = shutil.copy(sorted(paths.SAMPLE_ALBUM.glob("*.jpg"))[0], tmp_path / "a.jpg")
    with pytest.raises(SystemExit) as exc:
        main(["scan", str(photo), "--db", str(db), "-q", *argv])
    assert exc.value.code == 2
    assert words in capsys.readouterr().err
    assert not db.exists()


def test_cli_det_size_range_is_the_detectors():
    from faceapp.cli import library_cmds

    assert library_cmds.DET_SIZE_RANGE == DET_SIZE_RANGE


def _deep(base, total: int) -> str:
    """Folders nested below base until the path is over `total` bytes (made relative: the path is too long to use)."""
    here = os.getcwd()
    os.chdir(base)
    path = str(base)
    try:
        while len(path) <= total:
            os.mkdir("d" * 200)
            os.chdir("d" * 200)
            path += "/" + "d" * 200
        shutil.copy(sorted(paths.SAMPLE_ALBUM.glob("*.jpg"))[0], "photo.jpg")
    finally:
        os.chdir(here)
    return path


def test_a_path_too_long_for_the_system_is_recorded_with_its_reason(tmp_path):
    album = tmp_path / "album"
    album.mkdir()
    shutil.copy(sorted(paths.SAMPLE_ALBUM.glob("*.jpg"))[0], album / "ok.jpg")
    limit = os.pathconf(str(tmp_path), "PC_PATH_MAX") if hasattr(os, "pathconf") else 4096
    deep = _deep(album, limit + 10)
    db = open_library(tmp_path / "lib.db")
    for _ in range(2):  # and again: still an error, never "missing"
        stats = Scanner(db).scan([album])
        rows = {r[0]: (r[1], r[2]) for r in db.execute("SELECT path, status, error FROM photos")}
        assert rows[str(album / "ok.jpg")] == ("done", None)
        too_long = [p for p, (status, err) in rows.items() if err == "path-too-long"]
        assert len(too_long) == 1 and deep.startswith(too_long[0]) and rows[too_long[0]][0] == "error"
        assert stats.errors["path-too-long"] == 1


def test_a_file_bigger_than_memory_is_never_read_whole(tmp_path):
    import tracemalloc

    album = tmp_path / "album"
    album.mkdir()
    with open(album / "huge.jpg", "wb") as fh:
        fh.truncate(256 * 2**20)  # sparse: 256 MB of zeros that cost no disk
    db = open_library(tmp_path / "lib.db")
    scanner = Scanner(db, ScanSettings(workers=2))
    tracemalloc.start()
    try:
        stats = scanner.scan([album])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert stats.errors == {"not-an-image": 1}
    assert peak < 32 * 2**20

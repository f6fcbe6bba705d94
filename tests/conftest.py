"""Shared fixtures: a fresh library per test, the shared data sets (skipped when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# GUI tests draw offscreen unless asked to use a real X server (FACEAPP_TEST_X=1 with DISPLAY set,
# e.g. under `xvfb-run -a -s "-screen 0 1600x1000x24"`): some bugs only show in a real window.
if os.environ.get("FACEAPP_TEST_X") == "1" and os.environ.get("DISPLAY"):
    os.environ["QT_QPA_PLATFORM"] = "xcb"
else:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_NUM_THREADS", "2")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("FACEAPP_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture
def db():
    from faceapp.storage.db import open_library

    return open_library(":memory:")


@pytest.fixture
def file_db(tmp_path):
    from faceapp.storage.db import open_library

    return open_library(tmp_path / "library.db")


@pytest.fixture
def foreign_db(tmp_path) -> Path:
    """Another program's SQLite database (a table of its own, no faceapp migrations)."""
    import sqlite3

    path = tmp_path / "other_app.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE albums (id INTEGER)")
    conn.commit()
    conn.close()
    return path


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Never touch the real user data dir from a test."""
    monkeypatch.setenv("FACEAPP_HOME", str(tmp_path / "home"))


def shared_dataset(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.is_dir():
        pytest.skip(f"../shared/data/{name} is not here (research data, never committed)")
    return path


@pytest.fixture
def celeba_dev() -> Path:
    return shared_dataset("celeba_dev")


@pytest.fixture
def lfw_extra() -> Path:
    return shared_dataset("lfw_extra")


@pytest.fixture
def glint_aligned() -> Path:
    return shared_dataset("glint_aligned")


@pytest.fixture(scope="session")
def sample_album() -> Path:
    from faceapp import paths

    return paths.SAMPLE_ALBUM


@pytest.fixture(scope="session")
def scanned_sample(tmp_path_factory):
    """The sample album scanned once per session into a library file (copy it before changing it)."""
    from faceapp import paths
    from faceapp.jobs.scan import Scanner
    from faceapp.storage.db import open_library

    path = tmp_path_factory.mktemp("sample") / "sample.db"
    lib = open_library(path)
    Scanner(lib).scan([paths.SAMPLE_ALBUM])
    lib.conn.close()
    return path

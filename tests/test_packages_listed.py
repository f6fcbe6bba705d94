"""Every Python package in the source tree is in the wheel: pyproject lists packages by name (the
resources folder is mapped, so they are not found automatically), and a new sub-package left off the
list installed a faceapp that could not import it (found by CI's wheel check: faceapp.core.cluster)."""

from __future__ import annotations

from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_with_an_init_is_listed_for_the_wheel():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for top in ("faceapp", "trainer") for p in (ROOT / top).rglob("__init__.py")}
    assert found - listed == set()

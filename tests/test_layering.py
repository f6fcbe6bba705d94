"""The import rules of DESIGN.md: Qt only in gui, no torch in the app's import path, core ⟂ storage."""

import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "faceapp"


def _imports(path: Path, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _files(sub: str) -> list[Path]:
    return sorted((PKG / sub).rglob("*.py")) if sub else sorted(PKG.rglob("*.py"))


def test_only_gui_imports_qt():
    # outside faceapp/gui, Qt is never imported at module level (the `gui` command loads it lazily)
    for f in _files(""):
        if "gui" in f.relative_to(PKG).parts:
            continue
        assert not any(m.startswith("PySide6") for m in _imports(f, True)), f
    for f in _files("core") + _files("storage") + _files("jobs"):
        assert not any(m.startswith("PySide6") for m in _imports(f, False)), f


def test_core_and_storage_do_not_import_each_other_or_gui():
    for f in _files("core"):
        assert not any(m.startswith(("faceapp.storage", "faceapp.gui", "faceapp.jobs")) for m in _imports(f, False)), f
    for f in _files("storage"):
        assert not any(m.startswith(("faceapp.core", "faceapp.gui", "faceapp.jobs")) for m in _imports(f, False)), f


def test_nothing_in_faceapp_imports_torch_or_trainer_at_module_level():
    for f in _files(""):
        assert not any(m.split(".")[0] in ("torch", "trainer") for m in _imports(f, True)), f


def test_importing_the_app_and_cli_loads_no_torch():
    code = (
        "import sys, importlib, pkgutil, faceapp\n"
        "for m in pkgutil.walk_packages(faceapp.__path__, 'faceapp.'):\n"
        "    if '.gui' not in m.name and not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
        "from faceapp.cli import build_parser; build_parser()\n"
        "print('torch' in sys.modules, 'PySide6' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
